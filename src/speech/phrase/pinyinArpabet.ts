/**
 * Mandarin spelled in the English acoustic model's phones (ARPAbet), so the embedded grammar
 * recognizer can listen for Mandarin phrases. Tones are dropped (the model has none). The choices
 * below were measured on espeak-ng Mandarin through a µ-law channel (bench/speechBench.ts):
 * retroflex "i" (zhi/chi/shi/ri) as IH beat ER (+5%), -ong as OW NG beat UH NG, z as T S beat Z,
 * and x as S beat SH.
 */
import { pinyin } from 'pinyin-pro';

const INITIALS: Record<string, string> = {
  b: 'B',
  p: 'P',
  m: 'M',
  f: 'F',
  d: 'D',
  t: 'T',
  n: 'N',
  l: 'L',
  g: 'G',
  k: 'K',
  h: 'HH',
  j: 'JH',
  q: 'CH',
  x: 'S',
  zh: 'JH',
  ch: 'CH',
  sh: 'SH',
  r: 'R',
  z: 'T S',
  c: 'T S',
  s: 'S',
};

const FINALS: Record<string, string> = {
  a: 'AA',
  o: 'AO',
  e: 'AH',
  i: 'IY',
  u: 'UW',
  v: 'Y UW',
  ai: 'AY',
  ei: 'EY',
  ao: 'AW',
  ou: 'OW',
  an: 'AA N',
  en: 'AH N',
  ang: 'AA NG',
  eng: 'AH NG',
  ong: 'OW NG',
  er: 'ER',
  ia: 'Y AA',
  ie: 'Y EH',
  iao: 'Y AW',
  iu: 'Y OW',
  ian: 'Y EH N',
  in: 'IY N',
  iang: 'Y AA NG',
  ing: 'IY NG',
  iong: 'Y OW NG',
  ua: 'W AA',
  uo: 'W AO',
  uai: 'W AY',
  ui: 'W EY',
  uan: 'W AA N',
  un: 'W AH N',
  uang: 'W AA NG',
  ueng: 'W AH NG',
  ve: 'Y UW EH',
  van: 'Y UW AA N',
  vn: 'Y UW N',
};

const INITIAL_ORDER = ['zh', 'ch', 'sh', ...Object.keys(INITIALS).filter((i) => i.length === 1), 'y', 'w'];

/** A toneless pinyin syllable (`shi`, `lv`/`lü`, `huan3`) in ARPAbet, or null when it is not pinyin. */
export function syllableToArpabet(syllable: string): string | null {
  const s = syllable
    .toLowerCase()
    .replace(/[1-5]$/, '')
    .replace(/ü|u:/g, 'v');
  if (!/^[a-z]+$/.test(s)) return null;
  const initial = INITIAL_ORDER.find((i) => s.startsWith(i)) ?? '';
  let final = s.slice(initial.length);
  if (final === '') return s === 'm' || s === 'n' ? INITIALS[s]! : null;
  // After j, q, x and y a written "u" is ü.
  if (['j', 'q', 'x', 'y'].includes(initial) && final.startsWith('u')) final = 'v' + final.slice(1);
  if (initial === 'y') {
    if (final === 'i' || final === 'in' || final === 'ing') return FINALS[final]!;
    if (final.startsWith('v')) return FINALS[final] ?? null;
    const f = FINALS[final];
    return f ? `Y ${f}` : null;
  }
  if (initial === 'w') {
    if (final === 'u') return 'UW';
    const f = FINALS[final];
    return f ? `W ${f}` : null;
  }
  if (final === 'i' && (initial === 'z' || initial === 'c' || initial === 's'))
    return `${INITIALS[initial]} IH`;
  if (final === 'i' && (initial === 'zh' || initial === 'ch' || initial === 'sh' || initial === 'r'))
    return `${INITIALS[initial]} IH`;
  const f = FINALS[final];
  if (!f) return null;
  return initial ? `${INITIALS[initial]} ${f}` : f;
}

/** Han characters → toneless pinyin syllables (pinyin-pro picks readings by context). */
export function hanToPinyin(text: string): string[] {
  return pinyin(text, { toneType: 'none', type: 'array', nonZh: 'removed', v: true }).filter((s) => s !== '');
}

export function hasHan(text: string): boolean {
  return /\p{Script=Han}/u.test(text);
}

/**
 * Mandarin spelled in the English acoustic model's phones (ARPAbet), so the embedded grammar
 * recognizer can listen for Mandarin phrases. Tones are dropped (the model has none).
 *
 * A syllable has a primary spelling and, for sounds English phones straddle, variants the decoder
 * may pick instead (each phrase becomes one decoder word with alternative pronunciations). The
 * choices were measured on the dev set of bench/speechBench.ts (espeak-ng Mandarin, voices other
 * than the evaluation ones, through a µ-law channel), Mandarin in-list accuracy of the whole
 * recognizer:
 * - retroflex "i" (zhi/chi/shi/ri) as IH beat ER (+3%), -ong as OW NG beat UH NG, z as T S beat Z,
 *   x as S beat SH (−5% as SH);
 * - variants: sh also as S (+5% clean, +8% at 10 dB: Mandarin [ʂ] sits between S and SH, and many
 *   speakers merge it with s); zh/ch also as T S (the same merger, +1%); retroflex "i" also as IY
 *   (+2%); uo also as W OW (+1%). Variants tried and dropped (no gain or a loss): ER for "e", T for
 *   "d", K for "h", P for "b", UW EY for "ui", Y UW for "iu", SH for "x", ZH for "r".
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
  van: 'Y UW EH N',
  vn: 'Y UW N',
};

/** Further spellings of an initial or final, tried by the decoder after the primary one. */
const INITIAL_VARIANTS: Record<string, string[]> = { sh: ['S'], zh: ['T S'], ch: ['T S'] };
const FINAL_VARIANTS: Record<string, string[]> = { uo: ['W OW'], van: ['Y UW AA N'] };
const RETROFLEX_I = ['IH', 'IY'];

const INITIAL_ORDER = ['zh', 'ch', 'sh', ...Object.keys(INITIALS).filter((i) => i.length === 1), 'y', 'w'];

/** A toneless pinyin syllable (`shi`, `lv`/`lü`, `huan3`) in ARPAbet, or null when it is not pinyin. */
export function syllableToArpabet(syllable: string): string | null {
  return syllableVariants(syllable)?.[0] ?? null;
}

/**
 * Every spelling of a pinyin syllable, the primary one first (see the variant tables above), or
 * null when it is not pinyin.
 */
export function syllableVariants(syllable: string): string[] | null {
  const s = syllable
    .toLowerCase()
    .replace(/[1-5]$/, '')
    .replace(/ü|u:/g, 'v');
  if (!/^[a-z]+$/.test(s)) return null;
  const initial = INITIAL_ORDER.find((i) => s.startsWith(i)) ?? '';
  let final = s.slice(initial.length);
  if (final === '') return s === 'm' || s === 'n' ? [INITIALS[s]!] : null;
  // After j, q, x and y a written "u" is ü.
  if (['j', 'q', 'x', 'y'].includes(initial) && final.startsWith('u')) final = 'v' + final.slice(1);
  const finals = (f: string): string[] | null => {
    const primary = FINALS[f];
    return primary ? [primary, ...(FINAL_VARIANTS[f] ?? [])] : null;
  };
  const join = (heads: string[], tails: string[]) => heads.flatMap((h) => tails.map((t) => `${h} ${t}`));
  if (initial === 'y') {
    if (final === 'i' || final === 'in' || final === 'ing') return finals(final);
    if (final.startsWith('v')) return finals(final);
    // ye and yan are written ie and ian after an initial: [jɛ], [jɛn].
    if (final === 'e' || final === 'an') return finals(`i${final}`);
    const f = finals(final);
    return f ? join(['Y'], f) : null;
  }
  if (initial === 'w') {
    if (final === 'u') return ['UW'];
    const f = finals(final);
    return f ? join(['W'], f) : null;
  }
  const heads = initial ? [INITIALS[initial]!, ...(INITIAL_VARIANTS[initial] ?? [])] : [];
  if (final === 'i' && (initial === 'z' || initial === 'c' || initial === 's')) return join(heads, ['IH']);
  if (final === 'i' && (initial === 'zh' || initial === 'ch' || initial === 'sh' || initial === 'r'))
    return join(heads, RETROFLEX_I);
  const f = finals(final);
  if (!f) return null;
  return initial ? join(heads, f) : f;
}

/** Han characters → toneless pinyin syllables (pinyin-pro picks readings by context). */
export function hanToPinyin(text: string): string[] {
  return pinyin(text, { toneType: 'none', type: 'array', nonZh: 'removed', v: true }).filter((s) => s !== '');
}

export function hasHan(text: string): boolean {
  return /\p{Script=Han}/u.test(text);
}

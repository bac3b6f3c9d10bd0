/**
 * English inverse text normalisation: spoken numbers in recognised text become digits.
 *
 * A run of number words (separated by spaces or hyphens) is cut into values, each as long as the
 * words keep building it: "twenty three" → 23, "one hundred and five" → 105, "two thousand twenty
 * four" → 2024, "a hundred" → 100. Values that follow each other are written one after the other, as
 * phone numbers and years are spoken: "one three eight" → 138, "nineteen eighty four" → 1984.
 *
 * A lone digit word stays a word ("one of them", "I want two"): in running speech it is more often a
 * word than a number. Ordinals and "point" decimals are not handled.
 */

type Kind = 'digit' | 'teen' | 'tens' | 'hundred' | 'scale';

const WORDS: Readonly<Record<string, { value: number; kind: Kind }>> = Object.fromEntries([
  ...['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'].map((w, i) => [
    w,
    { value: i, kind: 'digit' as const },
  ]),
  ...[
    'ten',
    'eleven',
    'twelve',
    'thirteen',
    'fourteen',
    'fifteen',
    'sixteen',
    'seventeen',
    'eighteen',
    'nineteen',
  ].map((w, i) => [w, { value: 10 + i, kind: 'teen' as const }]),
  ...['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'].map((w, i) => [
    w,
    { value: 20 + 10 * i, kind: 'tens' as const },
  ]),
  ['hundred', { value: 100, kind: 'hundred' }],
  ['thousand', { value: 1e3, kind: 'scale' }],
  ['million', { value: 1e6, kind: 'scale' }],
  ['billion', { value: 1e9, kind: 'scale' }],
]);

interface Token {
  word: string;
  start: number;
  end: number;
}

/** One value being built from the words of a run. */
interface Value {
  total: number;
  current: number;
  last: Kind;
  /** The smallest scale used so far (a later scale must be smaller). */
  scale: number;
  words: number;
}

/** Rewrites every spoken number in `text` that reads as one (see the file comment). */
export function englishItn(text: string): string {
  const tokens: Token[] = [];
  for (const m of text.matchAll(/[A-Za-z]+/g)) {
    tokens.push({ word: m[0].toLowerCase(), start: m.index, end: m.index + m[0].length });
  }
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < tokens.length) {
    const end = runEnd(text, tokens, i);
    if (end === i) {
      i++;
      continue;
    }
    const digits = readRun(tokens.slice(i, end));
    if (digits !== undefined) {
      out += text.slice(copied, tokens[i]!.start) + digits;
      copied = tokens[end - 1]!.end;
    }
    i = end;
  }
  return out + text.slice(copied);
}

/** The index after the last token of the number run starting at `i` (i itself when none starts). */
function runEnd(text: string, tokens: readonly Token[], i: number): number {
  let j = i;
  while (j < tokens.length) {
    if (j > i && !/^[\s-]+$/.test(text.slice(tokens[j - 1]!.end, tokens[j]!.start))) break;
    const word = tokens[j]!.word;
    const next = WORDS[tokens[j + 1]?.word ?? ''];
    if (word in WORDS) j++;
    // "a hundred", "one hundred and five": these words belong to the number only between number words
    else if (word === 'a' && j === i && next && next.kind !== 'digit' && next.value >= 100) j++;
    else if (
      word === 'and' &&
      j > i &&
      (WORDS[tokens[j - 1]!.word]?.value ?? 0) >= 100 &&
      next &&
      next.value < 100
    )
      j++;
    else break;
  }
  return j;
}

/** The digits for a run of number words, or undefined when it stays as spoken. */
function readRun(run: readonly Token[]): string | undefined {
  const values: Value[] = [];
  let value: Value | undefined;
  for (const { word } of run) {
    if (word === 'and') continue;
    if (word === 'a') {
      value = { total: 0, current: 1, last: 'digit', scale: Number.POSITIVE_INFINITY, words: 1 };
      values.push(value);
      continue;
    }
    const w = WORDS[word]!;
    if (!value || !extend(value, w.value, w.kind)) {
      if (w.kind === 'hundred' || w.kind === 'scale') return undefined; // "hundred" with nothing before it
      value = { total: 0, current: w.value, last: w.kind, scale: Number.POSITIVE_INFINITY, words: 1 };
      values.push(value);
    }
  }
  const only = values[0];
  if (values.length === 1 && only && only.words === 1 && only.last === 'digit') return undefined;
  return values.map((v) => String(v.total + v.current)).join('');
}

/** Adds a word to the value when it continues it ("twenty" + "three"); false when it starts a new one. */
function extend(v: Value, n: number, kind: Kind): boolean {
  const opensBelowHundred = v.last === 'hundred' || v.last === 'scale';
  switch (kind) {
    case 'digit':
      if (n === 0 || !(opensBelowHundred || (v.last === 'tens' && v.current % 100 !== 0))) return false;
      v.current += n;
      break;
    case 'teen':
    case 'tens':
      if (!opensBelowHundred) return false;
      v.current += n;
      break;
    case 'hundred':
      if (!(v.last === 'digit' || v.last === 'teen') || v.current === 0 || v.current >= 100) return false;
      v.current *= 100;
      break;
    case 'scale':
      if (n >= v.scale || v.current === 0) return false;
      v.total += v.current * n;
      v.current = 0;
      v.scale = n;
      break;
  }
  v.last = kind;
  v.words++;
  return true;
}

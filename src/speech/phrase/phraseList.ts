/**
 * A phrase model's source text (the `phrases` column of an ASR model, or a built-in list): one
 * phrase per line; optionally a tab and its pronunciation. Blank lines and lines starting with `#`
 * are ignored.
 *
 * Pronunciation: toneless or toned pinyin syllables (`huan2 kuan3`) for Mandarin phrases, needed
 * where pinyin-pro reads a character wrongly (还款 as "hai kuan"); or ARPAbet phones in capitals
 * (`W IH L S AH N`) for any phrase, e.g. English names the dictionary lacks.
 *
 * Parsing checks everything a recognizer will need, so a bad list is refused when the model is
 * created, with the line number, rather than failing during a call.
 */
import { lookupEnglish, modelPhones } from './acousticModel.js';
import { englishVariants } from './englishVariants.js';
import { hanToPinyin, hasHan, syllableVariants } from './pinyinArpabet.js';

export interface Phrase {
  /** The text reported when this phrase is heard. */
  text: string;
  /**
   * Spoken units (syllables for Mandarin, words for English), each with its ARPAbet pronunciation
   * and every spelling the decoder may try (`variants`, the primary `phones` first).
   */
  units: { name: string; phones: string; variants: string[] }[];
  line: number;
}

export class PhraseListError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'PhraseListError';
    this.line = line;
  }
}

export const MAX_PHRASES = 1000;
const MAX_PHRASE_CHARS = 64;

export function parsePhraseList(source: string): Phrase[] {
  const phrases: Phrase[] = [];
  const lines = source.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const tab = raw.indexOf('\t');
    const text = (tab < 0 ? raw : raw.slice(0, tab)).trim();
    const pronunciation = tab < 0 ? '' : raw.slice(tab + 1).trim();
    if (text === '') throw new PhraseListError(line, 'the phrase before the tab is empty');
    if ([...text].length > MAX_PHRASE_CHARS)
      throw new PhraseListError(line, `phrase is longer than ${MAX_PHRASE_CHARS} characters`);
    if (raw.indexOf('\t', tab + 1) > 0 && tab >= 0)
      throw new PhraseListError(line, 'more than one tab: expected "phrase<TAB>pronunciation"');
    phrases.push({ text, units: unitsOf(text, pronunciation, line), line });
  });
  if (phrases.length === 0) throw new PhraseListError(1, 'the list has no phrases');
  if (phrases.length > MAX_PHRASES)
    throw new PhraseListError(MAX_PHRASES + 1, `more than ${MAX_PHRASES} phrases`);
  return phrases;
}

function unitsOf(text: string, pronunciation: string, line: number): Phrase['units'] {
  const tokens = pronunciation.split(/\s+/).filter(Boolean);
  if (tokens.length > 0 && tokens.every((t) => /^[A-Z]+[0-2]?$/.test(t))) {
    const phones = tokens.map((t) => t.replace(/[0-2]$/, ''));
    const unknown = phones.find((p) => !modelPhones().has(p));
    if (unknown) throw new PhraseListError(line, `unknown ARPAbet phone "${unknown}"`);
    const spelled = phones.join(' ');
    return [{ name: `ph_${phones.join('_').toLowerCase()}`, phones: spelled, variants: [spelled] }];
  }
  if (tokens.length > 0) return tokens.map((t) => pinyinUnit(t, line));
  if (hasHan(text)) {
    const syllables = hanToPinyin(text);
    if (syllables.length === 0) throw new PhraseListError(line, 'no readable characters');
    return syllables.map((s) => pinyinUnit(s, line));
  }
  const words = text
    .toLowerCase()
    .replace(/[^a-z' ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
  if (words.length === 0) throw new PhraseListError(line, 'no words: give a pronunciation after a tab');
  return words.map((w) => {
    const phones = lookupEnglish(w);
    if (!phones)
      throw new PhraseListError(
        line,
        `"${w}" is not in the dictionary: give an ARPAbet pronunciation after a tab`,
      );
    return { name: w, phones, variants: englishVariants(phones) };
  });
}

function pinyinUnit(syllable: string, line: number): Phrase['units'][number] {
  const variants = syllableVariants(syllable);
  if (!variants) throw new PhraseListError(line, `"${syllable}" is not a pinyin syllable`);
  const toneless = syllable
    .toLowerCase()
    .replace(/[1-5]$/, '')
    .replace(/ü|u:/g, 'v');
  return { name: `${toneless}_zh`, phones: variants[0]!, variants };
}

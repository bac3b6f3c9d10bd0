/**
 * A phrase list compiled for the decoder. Each phrase is one decoder word (`__p<n>`) whose
 * pronunciations are its spellings: the syllable or word pronunciations joined, with the Mandarin
 * variants of pinyinArpabet.ts and the English rule variants of englishVariants.ts multiplied out
 * (at most {@link MAX_SPELLINGS}). The JSGF grammar is
 * one alternative per phrase word, plus a loop of competitor words (competitors.ts, `__g<n>`) at a
 * low weight: a hypothesis through the loop names no phrase, and the utterance is rejected.
 *
 * Why one word per phrase (measured on the bench's dev set, see docs/speech.md): silence and noise
 * fillers can then only sit before and after the phrase, never between its syllables, so the
 * decoder may explain leading and trailing noise as silence without swallowing speech in the middle
 * (+21 points of in-list accuracy at 10 dB SNR), and phrases with more syllables no longer pay a
 * word insertion penalty per syllable.
 *
 * Phrases that sound the same: a phrase whose primary spelling is already another phrase's primary
 * spelling is a homophone of it and is left out (the first one listed wins, e.g. "ok" and "okay").
 * A variant spelling that equals any phrase's primary spelling, or a variant an earlier phrase
 * already has, is dropped, so a variant never hides another phrase (十 "shi" may also be heard as
 * "si" only when 四 is not on the list). Plain data, so it can be posted to a decoder worker.
 */
import { createHash } from 'node:crypto';
import { competitorWords } from './competitors.js';
import type { Phrase } from './phraseList.js';

/** Pronunciations per phrase word at most (variants multiply across syllables). */
export const MAX_SPELLINGS = 16;

export interface CompiledGrammar {
  /** Content hash: decoders cache grammars by it. */
  key: string;
  /** Dictionary entries to add: `__p<n>`, `__p<n>(2)`, … with their ARPAbet spellings. */
  words: [string, string][];
  jsgf: string;
  /** Decoder word (without the `(n)` alternative suffix) → phrase text. */
  phrases: Record<string, string>;
  /** Decoder word → number of phones of its primary spelling (for the duration check). */
  phoneCounts: Record<string, number>;
}

export interface GrammarOptions {
  /**
   * Weight of the competitor loop (competitors.ts) against the phrases, which weigh 1 each; 0 leaves
   * the loop out. Default {@link COMPETITOR_WEIGHT}.
   */
  competitorWeight?: number;
}

/**
 * Measured on the development data (the human dev half and the bench's `--dev` set): 1e-5–1e-6
 * keeps every in-list answer and rejects all dev off-list words; 1e-4 and more takes in-list words
 * ("eighty"), 1e-8 and less lets off-list words through again.
 */
export const COMPETITOR_WEIGHT = 1e-6;

export function compileGrammar(phrases: readonly Phrase[], options: GrammarOptions = {}): CompiledGrammar {
  const primaries = new Map<string, number>(); // primary spelling → index of the phrase owning it
  const spellingsOf = phrases.map((p) => spellings(p));
  spellingsOf.forEach((s, i) => {
    if (!primaries.has(s[0]!)) primaries.set(s[0]!, i);
  });
  const taken = new Set(primaries.keys());
  const words: [string, string][] = [];
  const byWord: Record<string, string> = {};
  const phoneCounts: Record<string, number> = {};
  const alternatives: string[] = [];
  phrases.forEach((phrase, i) => {
    const [primary, ...variants] = spellingsOf[i]!;
    if (primaries.get(primary!) !== i) return; // a homophone of an earlier phrase
    const word = `__p${i}`;
    words.push([word, primary!]);
    let n = 1;
    for (const v of variants) {
      if (taken.has(v)) continue;
      taken.add(v);
      words.push([`${word}(${++n})`, v]);
    }
    byWord[word] = phrase.text;
    phoneCounts[word] = primary!.split(' ').length;
    alternatives.push(word);
  });
  const weight = options.competitorWeight ?? COMPETITOR_WEIGHT;
  const competitors = weight > 0 ? competitorWords(phrases) : [];
  words.push(...competitors);
  const loop = competitors.length
    ? ` | /${weight}/ <competitor>+;\n<competitor> = ${competitors.map(([w]) => w).join(' | ')}`
    : '';
  const weighted = competitors.length ? alternatives.map((a) => `/1/ ${a}`) : alternatives;
  const jsgf = `#JSGF V1.0;\ngrammar phrases;\npublic <phrase> = ${weighted.join(' | ')}${loop};\n`;
  const key = createHash('sha256')
    .update(JSON.stringify([words, jsgf]))
    .digest('hex')
    .slice(0, 32);
  return { key, words, jsgf, phrases: byWord, phoneCounts };
}

/** The phrase's spellings, primary first, variants in order, at most MAX_SPELLINGS. */
function spellings(phrase: Phrase): string[] {
  let out = [''];
  for (const unit of phrase.units) {
    const next: string[] = [];
    for (const head of out) {
      for (const v of unit.variants) {
        next.push(head ? `${head} ${v}` : v);
        if (next.length >= MAX_SPELLINGS) break;
      }
      if (next.length >= MAX_SPELLINGS) break;
    }
    out = next;
  }
  return [...new Set(out)];
}

/**
 * The same phrases without the competitor loop (decoded again when the loop won, phraseWorker.ts):
 * the best phrase a decoder finds when it must name one.
 */
export function phrasesOnly(grammar: CompiledGrammar): CompiledGrammar {
  const alternatives = Object.keys(grammar.phrases);
  return {
    key: `${grammar.key}/phrases`,
    words: grammar.words.filter(([w]) => w.startsWith('__p')),
    jsgf: `#JSGF V1.0;\ngrammar phrases;\npublic <phrase> = ${alternatives.join(' | ')};\n`,
    phrases: grammar.phrases,
    phoneCounts: grammar.phoneCounts,
  };
}

/** The phrase word a decoder hypothesis names (`__p3(2)` → `__p3`), or '' when it names none. */
export function phraseWordOf(hypothesis: string): string {
  const words = hypothesis.split(/\s+/).filter((w) => w.startsWith('__p'));
  return words.length === 1 ? words[0]!.replace(/\(\d+\)$/, '') : '';
}

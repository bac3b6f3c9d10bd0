/**
 * A phrase list compiled for the decoder: the extra dictionary words (Mandarin syllables, ARPAbet
 * spellings), a JSGF grammar with one alternative per phrase, and the way back from the decoder's
 * word sequence to the phrase text. Plain data, so it can be posted to a decoder worker.
 */
import { createHash } from 'node:crypto';
import { lookupEnglish } from './acousticModel.js';
import type { Phrase } from './phraseList.js';

export interface CompiledGrammar {
  /** Content hash: decoders cache grammars by it. */
  key: string;
  words: [string, string][];
  jsgf: string;
  /** Decoder word sequence → phrase text (the first phrase wins when two sound the same). */
  phrases: Record<string, string>;
  /** Decoder word sequence → number of phones (for the duration check). */
  phoneCounts: Record<string, number>;
}

export function compileGrammar(phrases: readonly Phrase[]): CompiledGrammar {
  const words = new Map<string, string>();
  const byKey: Record<string, string> = {};
  const phoneCounts: Record<string, number> = {};
  const alternatives: string[] = [];
  for (const phrase of phrases) {
    for (const unit of phrase.units) {
      if (lookupEnglish(unit.name) === unit.phones) continue; // already in the decoder's dictionary
      words.set(unit.name, unit.phones);
    }
    const sequence = phrase.units.map((u) => u.name).join(' ');
    if (sequence in byKey) continue;
    byKey[sequence] = phrase.text;
    phoneCounts[sequence] = phrase.units.reduce((n, u) => n + u.phones.split(' ').length, 0);
    alternatives.push(sequence);
  }
  const jsgf = `#JSGF V1.0;\ngrammar phrases;\npublic <phrase> = ${alternatives.join(' | ')};\n`;
  const wordList = [...words].sort(([a], [b]) => (a < b ? -1 : 1));
  const key = createHash('sha256')
    .update(JSON.stringify([wordList, jsgf]))
    .digest('hex')
    .slice(0, 32);
  return { key, words: wordList, jsgf, phrases: byKey, phoneCounts };
}

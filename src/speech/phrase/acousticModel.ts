/**
 * Where soundswallower's 8 kHz-capable en-us acoustic model lives (inside the npm package), and the
 * two facts about it the phrase compiler needs: its phone set and its pronouncing dictionary.
 * The dictionary (135k words) is read once per process, lazily.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let modelDir: string | undefined;
let dictionary: Map<string, string> | undefined;
let phones: Set<string> | undefined;

export function acousticModelDir(): string {
  modelDir ??= join(dirname(fileURLToPath(import.meta.resolve('soundswallower'))), 'model', 'en-us');
  return modelDir;
}

/** ARPAbet phones the model knows (AA … ZH), without silence and noise units. */
export function modelPhones(): Set<string> {
  if (!phones) {
    const set = JSON.parse(readFileSync(join(acousticModelDir(), 'phoneset.json'), 'utf8')) as Record<
      string,
      string
    >;
    phones = new Set(Object.keys(set).filter((p) => /^[A-Z]+$/.test(p) && p !== 'SIL'));
  }
  return phones;
}

/** First pronunciation of an English word (lower case), or undefined when the word is unknown. */
export function lookupEnglish(word: string): string | undefined {
  if (!dictionary) {
    dictionary = new Map();
    for (const line of readFileSync(join(acousticModelDir(), 'dict.txt'), 'utf8').split('\n')) {
      const space = line.indexOf(' ');
      if (space <= 0) continue;
      const w = line.slice(0, space);
      if (w.includes('(') || dictionary.has(w)) continue;
      dictionary.set(w, line.slice(space + 1).trim());
    }
  }
  return dictionary.get(word);
}

/**
 * Inverse text normalisation for recognised words (SmartCall `EnableITN`, spec §3.1 row 26): spoken
 * numbers become digits, Chinese (chineseItn) and English (englishItn) in the same sentence.
 * Digits already in the text are left alone, so text from an engine that normalises by itself
 * passes through unchanged.
 *
 * Written here rather than taken from npm: words-to-numbers pulls in babel-runtime 6 and a
 * ClojureScript fuzzy matcher and writes "one two three" as "1 2 3"; chinese-numbers-converter ships
 * a test library as a runtime dependency; neither reads digit strings the way phone numbers are
 * spoken, which is what callees mostly say.
 */
import { chineseItn } from './chineseItn.js';
import { englishItn } from './englishItn.js';

export function inverseTextNormalize(text: string): string {
  return englishItn(chineseItn(text));
}

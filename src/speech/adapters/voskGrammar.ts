/**
 * Vosk's `phrase_list` is a hard grammar (vosk-api recognizer.cc UpdateGrammarFst): each phrase is
 * split on single spaces, every token is looked up in the model's vocabulary as is, and a token the
 * vocabulary lacks is dropped ("Ignoring word missing in vocabulary"). Without `[unk]` in the list
 * every utterance is forced onto some phrase. So the phrases are written the way the models spell
 * their words:
 * - lower case (the published models' vocabularies are lower case);
 * - punctuation removed (it is never a word);
 * - Chinese cut into single characters, space-separated. The model's word list is not available to
 *   smartcall, and a word cut by another dictionary (分词) that the model lacks would be dropped,
 *   leaving a fragment of the phrase in the grammar. The Chinese models recognise single characters
 *   as words (alphacep/vosk-server#111: 上 下 左 右 as a phrase list), and a grammar only needs
 *   the sequence, so characters keep every phrase whole. A phrase already written with spaces
 *   between its words (`我 现在 没空`) is taken as the account's own segmentation and kept;
 * - `[unk]` appended, so off-list speech comes back as `[unk]` (a rejection) instead of a phrase.
 */

const HAN = /\p{Script=Han}/u;
const PUNCTUATION = /[\p{P}\p{S}]+/gu;

/** The `phrase_list` for these account phrases (empty input: no grammar). */
export function voskPhraseList(phrases: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const phrase of phrases) {
    const tokens = voskTokens(phrase);
    const line = tokens.join(' ');
    if (!line || seen.has(line)) continue;
    seen.add(line);
    out.push(line);
  }
  if (out.length > 0) out.push('[unk]');
  return out;
}

function voskTokens(phrase: string): string[] {
  // Spaces the account wrote count as its own word boundaries; punctuation only separates.
  const spaced = phrase.toLowerCase().split(/\s+/).filter(Boolean);
  const presegmented = spaced.filter((w) => HAN.test(w)).length > 1;
  const words = spaced.flatMap((w) => w.replace(PUNCTUATION, ' ').split(' ')).filter(Boolean);
  const tokens: string[] = [];
  for (const word of words) {
    if (presegmented || !HAN.test(word)) {
      tokens.push(word);
      continue;
    }
    // Han characters one by one; a run of other letters or digits inside stays one token.
    let other = '';
    for (const ch of word) {
      if (HAN.test(ch)) {
        if (other) tokens.push(other);
        other = '';
        tokens.push(ch);
      } else other += ch;
    }
    if (other) tokens.push(other);
  }
  return tokens;
}

/**
 * A Vosk result as the other engines write it: Vosk joins words with spaces ("我 现在 没空"),
 * NLS and FunASR do not; spaces stay only between two non-Chinese words. `[unk]` tokens (off-list
 * speech under a grammar) are removed.
 */
export function voskText(text: string): string {
  const words = text.split(/\s+/).filter((w) => w && w !== '[unk]' && w !== '<unk>');
  let out = '';
  let previous = '';
  for (const w of words) {
    if (
      previous &&
      !(HAN.test(Array.from(previous).at(-1)!) || HAN.test(String.fromCodePoint(w.codePointAt(0)!)))
    )
      out += ' ';
    out += w;
    previous = w;
  }
  return out;
}

/**
 * A recognizer must not depend on what ran before: a phrase list's TTS templates (and so every
 * decision) are the same in every process, whenever it started and whatever other list was built
 * beside it. bench:speech's off-list figure used to read 0.925 in one run and 0.95 in the next:
 * espeak seeded its noise generator from the clock's second, and two lists built at once shared one
 * espeak thread, whose noise state runs on from line to line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EspeakTts } from '../../src/speech/espeak/espeakTts.js';
import { PhraseDecoderPool } from '../../src/speech/phrase/phraseDecoderPool.js';
import { compileGrammar } from '../../src/speech/phrase/phraseGrammar.js';
import { parsePhraseList } from '../../src/speech/phrase/phraseList.js';
import { type PhraseDecision, PhraseRecognizer } from '../../src/speech/phrase/phraseRecognizer.js';
import { TemplateBuilder } from '../../src/speech/phrase/phraseTemplates.js';
import type { TemplateBank } from '../../src/speech/phrase/templateMatcher.js';
import { speak, telephone } from './speechFixtures.js';

const LIST = 'yes\nno\nhello\nwrong number\nplease call me later\n是的\n不需要';
const OTHER = 'alpha\nbravo\ncharlie\n好的\n我在开会';

/** A bank's words and the bytes of its templates, for an exact comparison. */
const bytesOf = (bank: TemplateBank | null) => {
  assert.ok(bank, 'templates were built');
  return { words: bank.words, offsets: [...bank.offsets], mel: Buffer.from(new Uint8Array(bank.mel.buffer)) };
};

/** The template numbers of a decision (the decoder's are the same anyway: its pass is history-free). */
const numbers = (d: PhraseDecision) => ({
  text: d.text,
  templateText: d.templateText,
  templateDistance: d.templateDistance,
  templateRunnerUp: d.templateRunnerUp,
  decoderTemplateDistance: d.decoderTemplateDistance,
});

describe('phrase templates', () => {
  let utterances: Int16Array[];
  const pools: PhraseDecoderPool[] = [];
  const decideAll = async (r: PhraseRecognizer) => {
    await r.ready();
    const out = [];
    for (const u of utterances) out.push(numbers(await r.decide(u)));
    return out;
  };
  const newPool = async () => {
    const pool = new PhraseDecoderPool();
    pools.push(pool);
    await pool.ready();
    return pool;
  };

  before(async () => {
    // The callers: voices no template speaks, synthesised once and reused for every recognizer.
    const tts = new EspeakTts({ cacheBytes: 0 });
    await tts.ready();
    utterances = [];
    for (const [text, voice] of [
      ['hello', 'abby'],
      ['please call me later', 'emily'],
      ['不需要', 'xiaoyun'],
      ['the weather is nice today', 'abby'],
    ] as const)
      utterances.push(telephone(await speak(tts, text, voice)));
    await tts.close();
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  test('a list built a second later, in another pool, gives the same templates (no clock seed)', async () => {
    const first = await decideAll(new PhraseRecognizer('list', LIST, await newPool()));
    // espeak's default seed is the clock's second: build again in a later second.
    await sleep(1100);
    const second = await decideAll(new PhraseRecognizer('list', LIST, await newPool()));
    assert.deepEqual(second, first);
    assert.equal(first[0]!.text, 'hello');
  });

  test('a list built while another list is built gives the same templates, byte for byte, as built alone', async () => {
    const builders: TemplateBuilder[] = [];
    const builder = () => {
      const b = new TemplateBuilder();
      builders.push(b);
      return b;
    };
    try {
      const list = compileGrammar(parsePhraseList(LIST));
      const other = compileGrammar(parsePhraseList(OTHER));
      const alone = bytesOf(await builder().templates(list));
      // Both builds started before either is awaited.
      const both = builder();
      const [, beside] = await Promise.all([both.templates(other), both.templates(list)]);
      assert.deepEqual(bytesOf(beside), alone);
      // And in a later second (espeak's default seed was the clock's second).
      await sleep(1100);
      assert.deepEqual(bytesOf(await builder().templates(list)), alone);
    } finally {
      await Promise.all(builders.map((b) => b.close()));
    }
  });
});

/**
 * What a call's recognition costs (issue 13 item 2): a sentence its template names skips the
 * decoder's pass, and the call still gets exactly the text the full decision gives.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EspeakTts } from '../../src/speech/espeak/espeakTts.js';
import { CUSTOMER_SERVICE_PHRASES } from '../../src/speech/phrase/builtinPhrases.js';
import { PhraseDecoderPool } from '../../src/speech/phrase/phraseDecoderPool.js';
import { PhraseRecognizer } from '../../src/speech/phrase/phraseRecognizer.js';
import { speak, telephone } from './speechFixtures.js';

let tts: EspeakTts;
let pool: PhraseDecoderPool;
let recognizer: PhraseRecognizer;
before(async () => {
  tts = new EspeakTts({ cacheBytes: 0 });
  pool = new PhraseDecoderPool();
  await Promise.all([tts.ready(), pool.ready()]);
  recognizer = new PhraseRecognizer('customer_service_8k', CUSTOMER_SERVICE_PHRASES, pool);
  await recognizer.ready();
});
after(async () => {
  await Promise.all([tts.close(), pool.close()]);
});

test('a sentence its template names is not decoded again, and a call hears the same text as the full decision', async () => {
  const cases = [
    ['我现在没空', 'xiaogang', 'template'],
    ['好的', 'ruoxi', 'template'],
    ['wrong number', 'harry', 'either'],
    ['hello how are you today', 'xiaogang', 'either'],
    ['我已经还款了', 'xiaoyun', 'either'],
  ] as const;
  let skipped = 0;
  for (const [text, voice, expect] of cases) {
    const pcm = telephone(await speak(tts, text, voice));
    const full = await recognizer.decide(pcm);
    const call = await recognizer.decide(pcm, undefined, true);
    assert.equal(call.text, full.text, `"${text}" (${voice})`);
    assert.equal((await recognizer.recognize(pcm, new AbortController().signal))?.text ?? null, full.text);
    if (expect === 'template') assert.equal(full.by, 'template', `"${text}" is named by its template`);
    if (full.by === 'template') {
      // The decoder's pass leaves a phrase word, or (its best path through the competitor loop)
      // none with the whole utterance outside a phrase; a skipped pass leaves neither.
      const decoded = (d: typeof full) => d.sequence !== '' || d.outsideSpeech === 1;
      assert.ok(decoded(full), 'the full decision ran the decoder');
      assert.ok(!decoded(call), `"${text}": the call's recognition skipped the decoder`);
      skipped++;
    } else {
      assert.equal(call.sequence, full.sequence, 'without a template match the decoder runs');
    }
  }
  assert.ok(skipped >= 2);
});

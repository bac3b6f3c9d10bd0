import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EspeakTts } from '../../src/speech/espeak/espeakTts.js';
import { SpectralVad } from '../../src/speech/spectralVad.js';
import { buildTestCall, noisy, scoreVad, type TestCall } from './vadCall.js';

describe('SpectralVad', () => {
  let tts: EspeakTts;
  let call: TestCall;
  before(async () => {
    tts = new EspeakTts({ cacheBytes: 0 });
    call = await buildTestCall(tts);
  });
  after(async () => {
    await tts.close();
  });

  test('finds at least 90% of the speech with at most 10% false alarm at 15 dB SNR', () => {
    const score = scoreVad(new SpectralVad(), noisy(call, 15), call.truth);
    assert.ok(score.recall >= 0.9, `recall ${score.recall.toFixed(3)}`);
    assert.ok(score.falseAlarm <= 0.1, `false alarm ${score.falseAlarm.toFixed(3)}`);
  });

  test('keeps the sentences apart on a clean call', () => {
    const score = scoreVad(new SpectralVad(), call.clean, call.truth);
    assert.ok(score.recall >= 0.9, `recall ${score.recall.toFixed(3)}`);
    assert.ok(score.falseAlarm <= 0.1, `false alarm ${score.falseAlarm.toFixed(3)}`);
    assert.ok(Math.abs(score.segments - call.truth.length) <= 2, `${score.segments} segments`);
  });

  test('costs well under a tenth of a millisecond per frame', () => {
    const vad = new SpectralVad();
    const audio = noisy(call, 15);
    scoreVad(vad, audio, call.truth); // warm up the JIT
    const score = scoreVad(new SpectralVad(), audio, call.truth);
    assert.ok(score.msPerFrame < 0.1, `${score.msPerFrame.toFixed(4)} ms per frame`);
  });

  test('calls digital silence silence', () => {
    assert.equal(new SpectralVad().process(new Int16Array(160)), 0);
  });
});

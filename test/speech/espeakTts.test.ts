import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { within } from '../../src/clock/within.js';
import { EspeakEngine } from '../../src/speech/espeak/espeakEngine.js';
import { EspeakTts } from '../../src/speech/espeak/espeakTts.js';
import { allEspeakVoices, espeakVoiceFor, ssmlFor } from '../../src/speech/espeak/espeakVoices.js';
import { speedFactor, splitSentences, volumeGain } from '../../src/speech/tts.js';
import { VOICES } from '../../src/speech/voices.js';
import { spyOnWorkers } from '../helpers/workerSpy.js';
import { speak } from './speechFixtures.js';

function rms(pcm: Int16Array): number {
  let e = 0;
  for (const s of pcm) e += s * s;
  return Math.sqrt(e / pcm.length);
}

describe('EspeakTts (embedded)', () => {
  let tts: EspeakTts;
  before(async () => {
    tts = new EspeakTts();
    await tts.ready();
    await speak(tts, '预热'); // first use builds the resampler's filter table
  });
  after(async () => {
    await tts.close();
  });

  test('the first 8 kHz chunk of a new prompt is ready within 150 ms', async () => {
    const started = performance.now();
    const iterator = tts
      .synthesize({ text: '您好，这里是客服中心。请问您现在方便接听电话吗？', voice: 'xiaoyun' })
      [Symbol.asyncIterator]();
    const first = await iterator.next();
    const elapsed = performance.now() - started;
    assert.ok(!first.done && first.value.length > 800);
    assert.ok(elapsed < 150, `${elapsed.toFixed(1)} ms`);
    while (!(await iterator.next()).done);
  });

  test('every SmartCall voice maps to a distinct espeak rendering', () => {
    const keys = new Set(allEspeakVoices().map((v) => `${v.gender}/${v.variant}/${v.pitchPercent}`));
    assert.equal(keys.size, VOICES.length);
    assert.equal(espeakVoiceFor('XiaoGang').gender, 'male');
    assert.ok(espeakVoiceFor('sitong').pitchPercent >= 50, 'children are pitched up');
    assert.equal(espeakVoiceFor('nobody').name, 'xiaoyun');
  });

  test('TtsVolume scales loudness and TtsSpeed changes duration', async () => {
    const normal = await speak(tts, 'please call me later', 'abby');
    const quiet = await speak(tts, 'please call me later ', 'abby');
    const q = [];
    for await (const c of tts.synthesize({ text: 'please call me later', voice: 'abby', volume: 25 }))
      q.push(c);
    const fast = [];
    for await (const c of tts.synthesize({ text: 'please call me later', voice: 'abby', speed: 200 }))
      fast.push(c);
    assert.ok(Math.abs(rms(q[0]!) / rms(normal) - 0.5) < 0.05, 'volume 25 is half the default level');
    assert.ok(fast[0]!.length < normal.length * 0.9, 'speed 200 is faster');
    assert.ok(quiet.length > 0);
  });

  test('repeated prompts come from the cache', async () => {
    const before = tts.cache!.hits;
    const a = await speak(tts, '我们会尽快处理', 'ruoxi');
    const b = await speak(tts, '我们会尽快处理', 'ruoxi');
    assert.deepEqual(a, b);
    assert.equal(tts.cache!.hits, before + 1);
  });

  test('speed and volume follow the SmartCall ranges', () => {
    assert.equal(speedFactor(0), 1);
    assert.equal(speedFactor(-200), 0.8);
    assert.equal(speedFactor(200), 1.25);
    assert.equal(volumeGain(0), 1);
    assert.equal(volumeGain(100), 2);
  });

  test('long text is split where a pause is natural', () => {
    assert.deepEqual(splitSentences('你好。请问是张先生吗？ Hello. How are you?'), [
      '你好。',
      '请问是张先生吗？',
      'Hello.',
      'How are you?',
    ]);
  });
});

describe('EspeakEngine (worker threads)', () => {
  test('a synthesis worker killed mid-line fails that line, and the next line comes from its replacement', async () => {
    const spy = spyOnWorkers();
    const engine = new EspeakEngine();
    try {
      await engine.ready();
      assert.equal(spy.started.length, 1);
      const voice = espeakVoiceFor('xiaoyun');
      const killed = engine.synthesize(ssmlFor('您好，这里是客服中心，请问您现在方便接听电话吗？', voice, 1));
      await spy.started[0]!.terminate();
      await assert.rejects(killed, /^Error: espeak-ng worker exited with code 1$/);
      const next = engine.synthesize(ssmlFor('我们会尽快处理。', voice, 1));
      assert.ok(await within(next, 10_000), 'the next line is synthesised');
      assert.ok((await next).length > 2000);
      assert.deepEqual(engine.stats, { workers: 1, inFlight: 0, respawns: 1 });
    } finally {
      spy.restore();
      await engine.close();
    }
  });
});

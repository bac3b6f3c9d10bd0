/** The synthetic voice, the voice cache and the energy detector that hears prompts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CachedVoice, type PersonaVoice } from '../../src/phonenet/personaVoice.js';
import { EnergyDetector, type SpeechEdge, vadDetector } from '../../src/phonenet/speechDetector.js';
import { TtsPersonaVoice } from '../../src/phonenet/speechVoice.js';
import { SyntheticVoice, syllables } from '../../src/phonenet/syntheticVoice.js';
import type { Tts } from '../../src/speech/tts.js';
import type { Vad } from '../../src/speech/vad.js';

const voice = new SyntheticVoice();

function edges(samples: Int16Array, detector = new EnergyDetector()): SpeechEdge[] {
  const out: SpeechEdge[] = [];
  for (let i = 0; i + 160 <= samples.length; i += 160) {
    const e = detector.push(samples.subarray(i, i + 160), (i / 160) * 20);
    if (e) out.push(e);
  }
  return out;
}

test('the synthetic voice is deterministic, one syllable per character or vowel group', () => {
  assert.deepEqual(voice.render('你好', 'xiaoyun'), voice.render('你好', 'xiaoyun'));
  assert.notDeepEqual(voice.render('你好', 'xiaoyun'), voice.render('你好', 'xiaogang'));
  assert.equal(syllables('好的，可以').length, 4);
  assert.equal(syllables('please call me later').length, 5);
  const ms = voice.render('您拨打的电话已关机', 'xiaoyun').length / 8;
  assert.ok(ms > 1800 && ms < 2600, `${ms} ms for 9 syllables`);
});

test('a detector hears one phrase with pauses as one segment, and its end after the hangover', () => {
  const phrase = voice.render('好的，可以', 'xiaoyun');
  const signal = new Int16Array(8000 + phrase.length + 16000);
  signal.set(phrase, 8000);
  const found = edges(signal);
  assert.equal(found.length, 2, JSON.stringify(found));
  const [start, end] = found as [SpeechEdge & { type: 'start' }, SpeechEdge & { type: 'end' }];
  assert.ok(Math.abs(start.at - 1000) <= 20, `start at ${start.at}`);
  assert.ok(Math.abs(end.at - (1000 + phrase.length / 8)) <= 40, `end at ${end.at}`);
});

test('silence, low noise and a short click are not speech', () => {
  const noise = new Int16Array(16000).map((_, i) => ((i * 7919) % 61) - 30);
  assert.deepEqual(edges(noise), []);
  const click = new Int16Array(16000);
  click.fill(8000, 4000, 4160);
  assert.deepEqual(edges(click), []);
});

test('the voice cache synthesizes each phrase once, shares concurrent requests and forgets failures', async () => {
  let calls = 0;
  let fail = true;
  const inner: PersonaVoice = {
    synthesize: async (text) => {
      calls++;
      if (text === 'bad' && fail) throw new Error('tts down');
      return new Int16Array(8);
    },
  };
  const cache = new CachedVoice(inner, { maxEntries: 2 });
  const [a, b] = await Promise.all([cache.synthesize('x', 'v'), cache.synthesize('x', 'v')]);
  assert.equal(a, b);
  assert.equal(calls, 1);
  await assert.rejects(cache.synthesize('bad', 'v'));
  fail = false;
  await cache.synthesize('bad', 'v');
  assert.equal(calls, 3, 'a failure is retried');
  await cache.synthesize('y', 'v');
  assert.equal(cache.size, 2, 'the oldest entry is dropped');
});

test("the same segmenter runs on the speech layer's VAD instead of energy", () => {
  let resets = 0;
  const vad: Vad = {
    name: 'fake',
    threshold: 0.5,
    process: (frame) => (frame[0] === 1 ? 0.9 : 0.1),
    reset: () => {
      resets++;
    },
    close: () => {},
  };
  const detector = vadDetector(vad, { hangoverMs: 200 });
  assert.equal(resets, 1, 'a new call starts from a clean VAD');
  const speech = new Int16Array(160).fill(1);
  const quiet = new Int16Array(160);
  const found: SpeechEdge[] = [];
  for (let i = 0; i < 40; i++) {
    const e = detector.push(i >= 5 && i < 20 ? speech : quiet, i * 20);
    if (e) found.push(e);
  }
  assert.deepEqual(found, [
    { type: 'start', at: 100 },
    { type: 'end', at: 400, startedAt: 100 },
  ]);
});

test("the speech layer's streaming TTS becomes a persona voice: the chunks of a phrase are joined", async () => {
  const requests: { text: string; voice?: string | undefined }[] = [];
  const tts: Tts = {
    name: 'fake',
    async *synthesize(request) {
      requests.push({ text: request.text, voice: request.voice });
      yield new Int16Array([1, 2]);
      yield new Int16Array([3]);
    },
    close: async () => {},
  };
  const pcm = await new TtsPersonaVoice(tts).synthesize('你好', 'xiaogang');
  assert.deepEqual([...pcm], [1, 2, 3]);
  assert.deepEqual(requests, [{ text: '你好', voice: 'xiaogang' }]);
});

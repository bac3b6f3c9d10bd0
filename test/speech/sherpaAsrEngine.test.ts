/**
 * The sherpa-onnx ASR engine against a stand-in addon (fakeSherpaAddon.ts; no real model can be
 * had on this machine): sentences end on the call's PauseTime, finish() feeds the tail padding the
 * model needs for the last word, decoding happens in the engine's thread and not in write(), and
 * an ASR model's phrases reach the recognizer as hot words.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, test } from 'node:test';
import type { Clock } from '../../src/clock/clock.js';
import { SherpaAsrEngine } from '../../src/speech/adapters/sherpaAsrEngine.js';
import type { SherpaModel } from '../../src/speech/adapters/sherpaModel.js';
import { SherpaOnlineSession } from '../../src/speech/adapters/sherpaOnlineSession.js';
import type { OnlineRecognizerLike } from '../../src/speech/adapters/sherpaRecognizer.js';
import type { AsrEvent } from '../../src/speech/asr.js';
import type { Vad } from '../../src/speech/vad.js';
import { tempDir } from '../helpers/tempDir.js';
import { silenceFrames, toneFrames, writeFakeSherpaAddon } from './fakeSherpaAddon.js';

const dir = tempDir('sherpa-engine-');
const addon = writeFakeSherpaAddon(dir.path);
const fake = createRequire(import.meta.url)(addon) as {
  OnlineRecognizer: new (c: object) => OnlineRecognizerLike;
};
const engines: SherpaAsrEngine[] = [];
after(async () => {
  await Promise.all(engines.map((e) => e.close()));
  dir.remove();
});

const streaming: SherpaModel = {
  kind: 'online-transducer',
  modelType: 'zipformer2',
  encoder: '/m/encoder.onnx',
  decoder: '/m/decoder.onnx',
  joiner: '/m/joiner.onnx',
  tokens: '/m/tokens.txt',
  hotwords: { modelingUnit: 'cjkchar' },
};

/** The recognizer the engine builds for a model (its config), from the stand-in. */
function recognizer(): OnlineRecognizerLike {
  return new fake.OnlineRecognizer({ enableEndpoint: true, rule2MinTrailingSilence: 30 });
}

/** Within 40 ms (the resampler's delay and the 20 ms frames). */
function near(actual: number, expected: number, message: string): void {
  assert.ok(Math.abs(actual - expected) <= 40, `${message}: got ${actual} ms`);
}

function finalsAfter(pauseMs: number): AsrEvent[] {
  const session = new SherpaOnlineSession(recognizer(), pauseMs);
  const events: AsrEvent[] = [];
  for (const f of [...toneFrames(600), ...silenceFrames(2400)]) events.push(...session.write(f));
  return events.filter((e) => e.type === 'final');
}

test('a sentence ends after PauseTime of unchanged text, not after sherpa’s fixed 1.2 s', () => {
  // 600 ms of speech: its last 100 ms chunk is decoded at 700 ms (100 ms look-ahead).
  const short = finalsAfter(300);
  assert.equal(short.length, 1);
  assert.equal(short[0]!.type === 'final' && short[0]!.text, 'abcdef');
  near(short[0]!.endMs, 1000, 'PauseTime 300 ms: final at 700 + 300 ms');
  const long = finalsAfter(1500);
  assert.equal(long.length, 1);
  near(long[0]!.endMs, 2200, 'PauseTime 1500 ms: final at 700 + 1500 ms, later than sherpa’s 1.2 s');
});

test('finish() pads the tail, so the last word of a stream that ends mid-speech is decoded', () => {
  const session = new SherpaOnlineSession(recognizer(), 800);
  const events: AsrEvent[] = [];
  for (const f of toneFrames(1000)) events.push(...session.write(f));
  events.push(...session.finish());
  const finals = events.filter((e) => e.type === 'final');
  assert.deepEqual(
    finals.map((e) => e.type === 'final' && e.text),
    ['abcdefghij'],
    'ten 100 ms chunks of speech, the last one included',
  );
});

function collect(): { events: AsrEvent[]; onEvent: (e: AsrEvent) => void } {
  const events: AsrEvent[] = [];
  return { events, onEvent: (e) => events.push(e) };
}

test('decoding runs in the engine’s thread: write() returns at once while the model works', async () => {
  process.env.FAKE_SHERPA_DECODE_MS = '15';
  const engine = new SherpaAsrEngine({ model: streaming, addon, createVad: () => energyVad() });
  engines.push(engine);
  await engine.ready();
  const { events, onEvent } = collect();
  const stream = engine.createStream({ onEvent, pauseMs: 800 });
  let busyMs = 0;
  for (const f of toneFrames(1000)) {
    const t0 = performance.now();
    stream.write(f);
    busyMs += performance.now() - t0;
  }
  // Eight chunks are decoded during the writes, 15 ms each: 120 ms of decoding.
  assert.ok(busyMs < 40, `write() took ${busyMs.toFixed(1)} ms in all; decoding would take 120 ms`);
  await stream.finish();
  delete process.env.FAKE_SHERPA_DECODE_MS;
  const finals = events.filter((e) => e.type === 'final');
  assert.deepEqual(
    finals.map((e) => e.type === 'final' && e.text),
    ['abcdefghij'],
  );
});

test('an ASR model’s phrases reach a streaming and an offline recognizer as hot words', async () => {
  const engine = new SherpaAsrEngine({ model: streaming, addon, createVad: () => energyVad() });
  engines.push(engine);
  await engine.ready();
  const plain = collect();
  const hot = collect();
  const a = engine.createStream({ onEvent: plain.onEvent, pauseMs: 500 });
  const b = engine.withHotwords(['张三', '还款/了']).createStream({ onEvent: hot.onEvent, pauseMs: 500 });
  for (const f of [...toneFrames(300), ...silenceFrames(1000)]) {
    a.write(f);
    b.write(f);
  }
  await Promise.all([a.finish(), b.finish()]);
  const text = (events: AsrEvent[]) =>
    events.filter((e) => e.type === 'final').map((e) => e.type === 'final' && e.text);
  assert.deepEqual(text(plain.events), ['abc']);
  assert.deepEqual(text(hot.events), ['abc [张三|还款 了]'], 'one phrase a line; “/” is sherpa’s separator');

  const offline = new SherpaAsrEngine({
    model: { ...streaming, kind: 'offline-transducer' },
    addon,
    createVad: () => energyVad(),
  });
  engines.push(offline);
  await offline.ready();
  const o = collect();
  const s = offline.withHotwords(['张三', '李四']).createStream({ onEvent: o.onEvent, pauseMs: 500 });
  for (const f of [...toneFrames(400), ...silenceFrames(1000)]) s.write(f);
  await s.finish();
  assert.deepEqual(text(o.events), ['offline [张三/李四]']);
});

/** Speech is anything loud (the offline model's segmentation in these tests). */
function energyVad(): Vad {
  return {
    name: 'energy',
    threshold: 0.5,
    process: (frame) => (Math.max(...frame) > 1000 ? 1 : 0),
    reset: () => {},
    close: () => {},
  };
}

test('a stream fails (fatal) once a frame has waited 5 s in the thread, not because 10 s arrive at once', async () => {
  let now = 0;
  const clock = { now: () => now, setTimer: setTimeout, clearTimer: clearTimeout } as unknown as Clock;
  const engine = new SherpaAsrEngine({ model: streaming, addon, createVad: () => energyVad(), clock });
  engines.push(engine);
  await engine.ready();
  // A replay: 10 s of audio handed over at once, on a decoder that keeps up.
  const burst = collect();
  const replayed = engine.createStream({ onEvent: burst.onEvent, pauseMs: 500 });
  for (const f of [...toneFrames(300), ...silenceFrames(9700)]) replayed.write(f);
  await replayed.finish();
  assert.deepEqual(
    burst.events.map((e) => e.type),
    ['partial', 'partial', 'partial', 'final'],
    'heard, not failed',
  );
  // A thread that answers nothing while the call's clock runs on: 5 s of frames, then one more.
  const stuck = collect();
  const behind = engine.createStream({ onEvent: stuck.onEvent, pauseMs: 500 });
  for (const f of silenceFrames(5020)) {
    behind.write(f);
    now += 20;
  }
  assert.equal(stuck.events.length, 0, 'exactly 5 s behind is still in bounds');
  behind.write(new Int16Array(160));
  assert.equal(stuck.events.length, 1);
  const e = stuck.events[0] as AsrEvent;
  assert.ok(e.type === 'rejected' && e.fatal && e.reason === 'error', JSON.stringify(e));
  assert.match(e.detail ?? '', /over 5000 ms behind the call/);
});

/**
 * The conversation listener (calls/speechBridge.ts) on a manual clock with a scripted recognizer:
 * every sentence the endpointer ends is reported exactly once — with the words of its recognition,
 * or without words when the recognizer rejects it, skips it or is too late (issue 11 item 8) — and
 * a reply's ASR choice opens a new recognizer for the following sentences (issue 11 item 7).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ListenerEvents } from '../../src/calls/callListener.js';
import { speechListeners } from '../../src/calls/speechBridge.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { AsrEvent, AsrStreamOptions } from '../../src/speech/asr.js';
import type { AsrSelection } from '../../src/speech/speechEngines.js';

const SPEECH = new Int16Array(160).fill(1);
const SILENCE = new Int16Array(160);

interface FakeStream {
  selection: AsrSelection;
  emit: (e: AsrEvent) => void;
  written: number;
  finished: boolean;
  closed: boolean;
  /** Sentences the listener announced as ended ([beginMs, endMs], stream offsets). */
  ended: [number, number][];
}

function fakeEngines(known = (_s: AsrSelection) => true) {
  const streams: FakeStream[] = [];
  return {
    streams,
    createVad: () => ({
      name: 'fake',
      threshold: 0.5,
      process: (frame: Int16Array) => (frame[0] ? 1 : 0),
      reset() {},
      close() {},
    }),
    asr: (selection: AsrSelection) => {
      if (!known(selection)) throw new Error(`ASR model ${selection.asrModelId} not found for this account`);
      return {
        name: 'scripted',
        createStream: (o: AsrStreamOptions) => {
          const s: FakeStream = {
            selection,
            emit: o.onEvent,
            written: 0,
            finished: false,
            closed: false,
            ended: [],
          };
          streams.push(s);
          return {
            write() {
              s.written++;
            },
            finish: async () => {
              s.finished = true;
            },
            close() {
              s.closed = true;
            },
            sentenceEnded(beginMs: number, endMs: number) {
              s.ended.push([beginMs, endMs]);
            },
          };
        },
        close: async () => {},
      };
    },
  };
}

function setUp(engines = fakeEngines()) {
  const clock = new ManualClock({ start: 1_000_000 });
  const heard: { words: string | undefined; beginAt: number; endAt: number }[] = [];
  const events: ListenerEvents = {
    speechStarted() {},
    speechContinuing() {},
    speechEnded: (_at, r) => heard.push(r),
  };
  const listener = speechListeners(
    engines,
    clock,
  )({
    accountId: 7,
    accountName: 'acme',
    asrBaseId: 'customer_service_8k',
    asrModelId: null,
    pauseTimeMs: 300,
    events,
    log: silentLogger(),
  });
  const t0 = clock.now();
  let frames = 0;
  /** `ms` of speech (or silence) from the callee, frame by frame on the clock. */
  const audio = (speech: boolean, ms: number) => {
    for (let i = 0; i < ms / 20; i++) {
      listener.push(speech ? SPEECH : SILENCE, t0 + 20 * frames++);
      clock.advance(20);
    }
  };
  return { clock, heard, listener, engines, audio, t0 };
}

const final = (text: string, beginMs: number, endMs: number): AsrEvent => ({
  type: 'final',
  text,
  beginMs,
  endMs,
  confidence: 1,
});

test('a sentence the recognizer rejects is reported once, without words', () => {
  const { heard, listener, engines, audio } = setUp();
  audio(true, 400);
  audio(false, 400);
  engines.streams[0]!.emit({ type: 'rejected', reason: 'no-match', beginMs: 0, endMs: 400 });
  assert.deepEqual(
    heard.map((h) => h.words),
    [undefined],
  );
  audio(false, 5000);
  assert.equal(heard.length, 1, 'the grace does not report it again');
  listener.close();
});

test('a failure of the stream is no turn; each sentence end is announced to the stream (its answer is due)', () => {
  const { heard, listener, engines, audio } = setUp();
  audio(true, 400);
  audio(false, 400);
  assert.deepEqual(engines.streams[0]!.ended, [[0, 400]]);
  engines.streams[0]!.emit({
    type: 'rejected',
    reason: 'error',
    beginMs: 0,
    endMs: 800,
    detail: 'funasr: connection closed',
    fatal: true,
  });
  assert.equal(heard.length, 0, 'not reported as a sentence without words');
  engines.streams[0]!.emit(final('你好', 0, 400));
  assert.deepEqual(
    heard.map((h) => h.words),
    ['你好'],
  );
  listener.close();
});

test('a recognition that comes after the grace is dropped: the sentence was already reported', () => {
  const { clock, heard, listener, engines, audio } = setUp();
  audio(true, 400);
  audio(false, 400);
  clock.advance(4000);
  assert.deepEqual(
    heard.map((h) => h.words),
    [undefined],
  );
  engines.streams[0]!.emit(final('你好', 0, 400));
  assert.equal(heard.length, 1, 'no second report for the same sentence');
  listener.close();
  assert.equal(clock.pendingTimers, 0);
});

test('a sentence the recognizer skips is reported without words when the next one is recognised', () => {
  const { clock, heard, listener, engines, audio } = setUp();
  audio(true, 400);
  audio(false, 600);
  audio(true, 400);
  audio(false, 400);
  engines.streams[0]!.emit(final('不需要', 1000, 1400));
  assert.deepEqual(
    heard.map((h) => h.words),
    [undefined, '不需要'],
  );
  clock.advance(5000);
  assert.equal(heard.length, 2, 'neither is reported again');
  listener.close();
});

test('a reply’s ASR choice opens a new recognizer for the following sentences; the old one finishes its own', async () => {
  const { heard, listener, engines, audio, t0 } = setUp();
  audio(true, 400);
  audio(false, 100);
  listener.switchRecognizer!({ asrModelId: 'm-1' });
  assert.equal(engines.streams.length, 2);
  assert.deepEqual(engines.streams[1]!.selection, {
    accountId: 7,
    accountName: 'acme',
    asrBaseId: 'customer_service_8k',
    asrModelId: 'm-1',
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(engines.streams[0]!.finished, true);
  assert.equal(engines.streams[0]!.closed, true);
  audio(false, 300);
  audio(true, 400);
  audio(false, 400);
  assert.ok(engines.streams[1]!.written > 0, 'the audio goes to the new recognizer');
  // The second sentence is 800–1200 ms into the call; the new stream counts from its first frame (500 ms).
  engines.streams[1]!.emit(final('好的', 300, 700));
  assert.deepEqual(
    heard.map((h) => [h.words, h.beginAt - t0]),
    [
      [undefined, 0],
      ['好的', 800],
    ],
    'the first sentence got no result before its stream closed; the second is the new one’s',
  );
  listener.switchRecognizer!({ asrModelId: 'm-1' });
  assert.equal(engines.streams.length, 2, 'the same choice opens nothing');
  listener.close();
  assert.equal(engines.streams[1]!.closed, true);
});

test('an unknown model keeps the recognizer the call has', () => {
  const { listener, engines, audio } = setUp(fakeEngines((s) => s.asrModelId !== 'nope'));
  listener.switchRecognizer!({ asrModelId: 'nope' });
  assert.equal(engines.streams.length, 1);
  audio(true, 100);
  assert.ok(engines.streams[0]!.written > 0);
  assert.equal(engines.streams[0]!.closed, false);
  listener.switchRecognizer!({ asrBaseId: 'dialect_customer_service_8k' });
  assert.equal(engines.streams.length, 2, 'a later valid choice still switches');
  assert.equal(engines.streams[1]!.selection.asrModelId, undefined);
  listener.close();
});

test('a result for the whole sentence before the endpointer ends it is reported once, when it ends', () => {
  const { clock, heard, listener, engines, audio, t0 } = setUp();
  audio(true, 400);
  audio(false, 100);
  // An engine that ends sentences on a shorter pause than PauseTime.
  engines.streams[0]!.emit(final('wrong number', 0, 400));
  assert.equal(heard.length, 0, 'the sentence is still under way');
  audio(false, 300);
  assert.deepEqual(
    heard.map((h) => [h.words, h.beginAt - t0, h.endAt - t0]),
    [['wrong number', 0, 400]],
    'reported as the endpointer ends it, without waiting',
  );
  clock.advance(5000);
  assert.equal(heard.length, 1);
  listener.close();
});

test('a sentence the recognizer heard in two parts is one report with both parts', () => {
  const { clock, heard, listener, engines, audio, t0 } = setUp();
  audio(true, 400);
  audio(false, 200);
  engines.streams[0]!.emit(final('我想查询订单', 0, 400));
  audio(true, 400);
  audio(false, 300);
  assert.equal(heard.length, 0, 'the rest is still being recognised');
  engines.streams[0]!.emit(final('谢谢', 600, 1000));
  assert.deepEqual(
    heard.map((h) => [h.words, h.beginAt - t0, h.endAt - t0]),
    [['我想查询订单谢谢', 0, 1000]],
  );
  clock.advance(5000);
  assert.equal(heard.length, 1);
  listener.close();
});

test('a sentence cut by the end of the audio is reported by finish() with what the recognizer heard', async () => {
  const { clock, heard, listener, engines, audio } = setUp();
  audio(true, 600);
  const stream = engines.streams[0]!;
  // The recognizer's final result for the audio so far, while the endpointer still hears speech.
  stream.emit(final('您拨打的电话已关机', 0, 600));
  assert.equal(heard.length, 0, 'held until the sentence ends');
  await listener.finish();
  assert.deepEqual(
    heard.map((h) => h.words),
    ['您拨打的电话已关机'],
  );
  listener.close();
  assert.equal(clock.pendingTimers, 0);
});

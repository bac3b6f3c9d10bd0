/**
 * Issue 13 item 2: what an idle or talking caller costs the speech layer. A call's listener and
 * its recognition stream (segmented by our VAD) hear the same frames, so one voice detector runs
 * per frame — not one in the listener and another in the stream — and the sentences come out the
 * same. A stream opened later (a recognizer switch) has heard less, so it keeps its own.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ListenerEvents } from '../../src/calls/callListener.js';
import { speechListeners } from '../../src/calls/speechBridge.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { AsrStreamOptions } from '../../src/speech/asr.js';
import { SegmentedAsrStream } from '../../src/speech/segmentedAsrStream.js';
import type { Vad } from '../../src/speech/vad.js';

const SPEECH = new Int16Array(160).fill(1000);
const SILENCE = new Int16Array(160);

function setup() {
  const counts = { vadFrames: 0, recognitions: 0 };
  const clock = new ManualClock();
  const createVad = (): Vad => ({
    name: 'counting',
    threshold: 0.5,
    process: (frame) => {
      counts.vadFrames++;
      return frame[0] ? 1 : 0;
    },
    reset() {},
    close() {},
  });
  const engine = (text: string) => ({
    name: `fake:${text}`,
    createStream: (o: AsrStreamOptions) =>
      new SegmentedAsrStream({
        ...o,
        vad: createVad(),
        clock,
        recognizer: {
          name: 'fake',
          close: async () => {},
          recognize: async () => {
            counts.recognitions++;
            return { text, confidence: 0.9 };
          },
        },
      }),
    close: async () => {},
  });
  const engines = {
    createVad,
    asr: (s: { asrModelId?: string }) => engine(s.asrModelId === 'other' ? '好的' : '我现在没空'),
  };
  const heard: (string | undefined)[] = [];
  const events: ListenerEvents = {
    speechStarted() {},
    speechContinuing() {},
    speechEnded: (_at, r) => heard.push(r.words),
  };
  const listener = speechListeners(
    engines,
    clock,
  )({
    accountId: 1,
    accountName: 'acme',
    asrBaseId: 'customer_service_8k',
    asrModelId: null,
    pauseTimeMs: 300,
    events,
    log: silentLogger(),
  });
  let at = 0;
  const talk = (frames: number, pcm: Int16Array) => {
    for (let i = 0; i < frames; i++, at += 20) listener.push(pcm, at);
  };
  return { counts, listener, heard, talk };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("one VAD decision per frame serves the listener and the call's recognition, and the sentence is heard", async () => {
  const { counts, listener, heard, talk } = setup();
  talk(100, SILENCE); // an idle caller: 2 s
  assert.equal(counts.vadFrames, 100, 'one detector per frame while nobody talks');
  assert.equal(counts.recognitions, 0, 'an idle caller costs no recognition');
  talk(50, SPEECH);
  talk(30, SILENCE);
  for (let i = 0; i < 5; i++) await settle();
  assert.deepEqual(heard, ['我现在没空']);
  assert.equal(counts.vadFrames, 180);
  listener.close();
});

test('after a recognizer switch the new stream runs its own VAD (it has not heard the call so far)', async () => {
  const { counts, listener, heard, talk } = setup();
  talk(10, SILENCE);
  listener.switchRecognizer!({ asrModelId: 'other' });
  talk(50, SPEECH);
  talk(30, SILENCE);
  for (let i = 0; i < 5; i++) await settle();
  assert.deepEqual(heard, ['好的']);
  assert.equal(counts.vadFrames, 10 + 2 * 80);
  listener.close();
});

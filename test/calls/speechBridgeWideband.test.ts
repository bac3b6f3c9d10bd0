/**
 * A G.722 call gives the listener each tick at 16 kHz just before the 8 kHz frame: a recognizer
 * that takes 16 kHz (`writeWide`) gets the wide frame instead of the narrow one, once per tick;
 * one that does not gets the 8 kHz frames as before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { speechListeners } from '../../src/calls/speechBridge.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { AsrStream } from '../../src/speech/asr.js';

function listenerWith(stream: AsrStream) {
  const deps = {
    createVad: () => ({ name: 'fake', threshold: 0.5, process: () => 0, reset() {}, close() {} }),
    asr: () => ({ name: 'recording', createStream: () => stream, close: async () => {} }),
  };
  return speechListeners(
    deps,
    new ManualClock(),
  )({
    accountId: 1,
    accountName: 'acme',
    asrBaseId: 'customer_service_8k',
    asrModelId: null,
    pauseTimeMs: 300,
    events: { speechStarted() {}, speechContinuing() {}, speechEnded() {} },
    log: silentLogger(),
  });
}

test('a 16 kHz recognizer gets the wide frame of a G.722 tick, and the 8 kHz one otherwise', () => {
  const writes: string[] = [];
  const listener = listenerWith({
    write: (f) => writes.push(`narrow ${f.length}`),
    writeWide: (f) => writes.push(`wide ${f.length}`),
    finish: async () => {},
    close() {},
  });
  listener.pushWide?.(new Int16Array(320), 0);
  listener.push(new Int16Array(160), 0);
  listener.push(new Int16Array(160), 20); // a G.711 tick (no wide frame)
  listener.pushWide?.(new Int16Array(320), 20); // a stale wide frame is not used for a later tick
  listener.push(new Int16Array(160), 40);
  assert.deepEqual(writes, ['wide 320', 'narrow 160', 'narrow 160']);
  listener.close();
});

test('a recognizer without writeWide hears the 8 kHz frames of a G.722 call', () => {
  const writes: number[] = [];
  const listener = listenerWith({ write: (f) => writes.push(f.length), finish: async () => {}, close() {} });
  listener.pushWide?.(new Int16Array(320), 0);
  listener.push(new Int16Array(160), 0);
  assert.deepEqual(writes, [160]);
  listener.close();
});

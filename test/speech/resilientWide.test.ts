/**
 * A G.722 call's 16 kHz audio through the resilient wrapper every configured engine runs in: an
 * engine that takes 16 kHz (FunASR) gets it as it is, also when a fresh stream replays it after a
 * lost connection; the embedded fallback, which takes 8 kHz only, gets it at 8 kHz.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import type { AsrStream, AsrStreamOptions } from '../../src/speech/asr.js';
import { ResilientAsrStream } from '../../src/speech/resilientAsrStream.js';

interface Inner {
  writes: string[];
  options: AsrStreamOptions;
}

function innerStream(wide: boolean, log: Inner[]): (o: AsrStreamOptions) => AsrStream {
  return (options) => {
    const inner: Inner = { writes: [], options };
    log.push(inner);
    return {
      write: (f) => inner.writes.push(`narrow ${f.length}`),
      ...(wide && { writeWide: (f: Int16Array) => inner.writes.push(`wide ${f.length}`) }),
      finish: async () => {},
      close: () => {},
    };
  };
}

test('16 kHz frames reach a 16 kHz engine as they are, and its replacement hears them again', () => {
  const opened: Inner[] = [];
  const fallbacks: Inner[] = [];
  const stream = new ResilientAsrStream({
    engine: 'funasr',
    open: innerStream(true, opened),
    fallback: innerStream(false, fallbacks),
    timeoutMs: 5000,
    clock: new ManualClock(),
    onEvent: () => {},
  });
  stream.writeWide(new Int16Array(320));
  stream.writeWide(new Int16Array(320));
  assert.deepEqual(opened[0]!.writes, ['wide 320', 'wide 320']);

  // The connection is lost: a fresh stream on the same engine hears the audio again, at 16 kHz.
  opened[0]!.options.onEvent({ type: 'rejected', reason: 'error', fatal: true, beginMs: 0, endMs: 40 });
  assert.deepEqual(opened[1]!.writes, ['wide 320', 'wide 320']);

  // It fails again: the embedded engine takes the rest of the call, at 8 kHz.
  opened[1]!.options.onEvent({ type: 'rejected', reason: 'error', fatal: true, beginMs: 0, endMs: 40 });
  assert.equal(stream.fellBack, true);
  assert.deepEqual(fallbacks[0]!.writes, ['narrow 160', 'narrow 160']);
  stream.writeWide(new Int16Array(320));
  stream.write(new Int16Array(160));
  assert.deepEqual(fallbacks[0]!.writes.slice(2), ['narrow 160', 'narrow 160']);
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FunAsrEngine } from '../../src/speech/adapters/funAsrEngine.js';
import type { AsrEngine, AsrEvent } from '../../src/speech/asr.js';

async function run(engine: AsrEngine, seconds = 1.5): Promise<AsrEvent[]> {
  const events: AsrEvent[] = [];
  const stream = engine.createStream({ onEvent: (e) => events.push(e), pauseMs: 600 });
  const frame = new Int16Array(160).fill(100);
  for (let i = 0; i < seconds * 50; i++) stream.write(frame);
  // Give the server a moment to answer what it has, as a live call would.
  await new Promise((r) => setTimeout(r, 100));
  await stream.finish();
  stream.close();
  return events;
}

describe('remote ASR adapters', () => {
  test('an unreachable server yields an error rejection within the timeout', async () => {
    const started = Date.now();
    const events = await run(new FunAsrEngine({ url: 'ws://127.0.0.1:1', timeoutMs: 500 }), 0.2);
    assert.equal(events[0]?.type, 'rejected');
    assert.ok(Date.now() - started < 3000);
  });
});

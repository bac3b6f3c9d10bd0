/**
 * A scripted dialog listens for speech and keys at once (`keysWhileListening`): a key outside a
 * collection is a `dtmf` turn of its own and cuts a breakable prompt. Callback calls are unchanged:
 * such a key is not posted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setup, tick } from './fakeDialoguePort.js';

test('with keysWhileListening a key cuts the breakable prompt and is posted as dtmf', async () => {
  const { time, port, engine } = setup({ keysWhileListening: true });
  engine.start();
  engine.playbackStarted(port.played[0]!.id, time.now());
  engine.dtmf('1');
  await tick();
  assert.equal(port.stops, 1, 'the prompt stopped');
  assert.deepEqual(port.callbacks[0], { type: 'dtmf', content: { dynamic_id: 'start', dtmf_digits: '1' } });
  engine.stop();
});

test('without it (callback calls) a key outside a collection is not posted', async () => {
  const { time, port, engine } = setup();
  engine.start();
  engine.playbackStarted(port.played[0]!.id, time.now());
  engine.dtmf('1');
  await tick();
  assert.equal(port.stops, 0);
  assert.equal(port.callbacks.length, 0);
  engine.stop();
});

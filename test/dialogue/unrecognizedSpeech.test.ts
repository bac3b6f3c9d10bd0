/**
 * Issue 11 item 8: every utterance is a turn. An utterance the recognizer rejects is reported as a
 * `normal` callback with empty `words`; an account set to `silent` gets no callback for it. Either
 * way it is speech, so the MuteTime clock starts again from it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NormalContent } from '../../src/contract/callbackContent.js';
import { setup, tick } from './fakeDialoguePort.js';

test('an utterance the recognizer rejects is a normal callback with empty words', async () => {
  const { time, port, engine, playFor } = setup();
  engine.start();
  playFor(1000);
  time.advance(2000);
  engine.speechStarted(time.now());
  time.advance(1500);
  engine.speechEnded(time.now(), undefined);
  await tick();
  assert.equal(port.callbacks.length, 1);
  assert.equal(port.callbacks[0]!.type, 'normal');
  const c = port.callbacks[0]!.content as NormalContent;
  assert.equal(c.words, '');
  assert.equal(c.begin_offset, '3000');
  assert.equal(c.end_offset, '4500');
  assert.equal(c.is_playing, false);
  assert.equal(c.current_media_code, '', 'nothing plays');
  assert.equal(c.dynamic_id, 'start');
  engine.stop();
});

test('a rejected utterance still restarts the mute clock: mute comes MuteTime after the reply, not before', async () => {
  const { time, port, engine, playFor } = setup();
  engine.start();
  playFor(100);
  time.advance(4000);
  engine.speechStarted(time.now());
  time.advance(2000);
  engine.speechEnded(time.now(), undefined);
  await tick();
  time.advance(4999);
  assert.deepEqual(
    port.callbacks.map((c) => c.type),
    ['normal'],
    'no mute 5 s after the prompt: the callee spoke',
  );
  time.advance(1);
  assert.deepEqual(
    port.callbacks.map((c) => c.type),
    ['normal', 'mute'],
  );
  engine.stop();
});

test('each utterance gives exactly one normal, recognised or not, in order', async () => {
  const { time, port, engine, playFor } = setup();
  engine.start();
  playFor(100);
  for (const words of ['你好', undefined, '不需要']) {
    engine.speechStarted(time.now());
    time.advance(800);
    engine.speechEnded(time.now(), words);
    await tick();
    time.advance(500);
  }
  assert.deepEqual(
    port.callbacks.map((c) => [c.type, (c.content as NormalContent).words]),
    [
      ['normal', '你好'],
      ['normal', ''],
      ['normal', '不需要'],
    ],
  );
  engine.stop();
});

test('an account set to silent hears nothing of a rejected utterance, and the recognised ones as before', async () => {
  const { time, port, engine, playFor } = setup({ unrecognized: 'silent' });
  engine.start();
  playFor(100);
  engine.speechStarted(time.now());
  time.advance(800);
  engine.speechEnded(time.now(), undefined);
  await tick();
  assert.equal(port.callbacks.length, 0);
  engine.speechStarted(time.now());
  time.advance(800);
  engine.speechEnded(time.now(), '你好');
  await tick();
  assert.deepEqual(
    port.callbacks.map((c) => (c.content as NormalContent).words),
    ['你好'],
  );
  engine.stop();
});

test('speech while keys are collected gives no normal callback, recognised or not', async () => {
  const { time, port, engine, playFor } = setup();
  port.replies.push({ action: 'dtmf', dtmf_nonin_overtime: 10 });
  engine.start();
  playFor(100);
  engine.speechStarted(time.now());
  time.advance(500);
  engine.speechEnded(time.now(), '你好');
  await tick();
  assert.equal(port.callbacks.length, 1, 'the sentence that asked for keys');
  engine.speechStarted(time.now());
  time.advance(500);
  engine.speechEnded(time.now(), undefined);
  await tick();
  assert.equal(port.callbacks.length, 1);
  engine.stop();
});

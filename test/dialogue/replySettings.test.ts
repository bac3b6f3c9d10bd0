/**
 * Issue 11 item 7: the reply fields of the inbound table take effect on outbound calls —
 * `session_timeout` moves the end of the call, `record_flag` starts the recording, `asr_model_id` /
 * `asr_base_id` switch the recognizer — and `current_media_code` names the item that sounds now.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NormalContent, TimebreakContent } from '../../src/contract/callbackContent.js';
import { setup, tick } from './fakeDialoguePort.js';

/** The callee says something now; the reply (already queued) is carried out. */
async function say(s: ReturnType<typeof setup>, words = '你好') {
  s.engine.speechStarted(s.time.now());
  s.time.advance(500);
  s.engine.speechEnded(s.time.now(), words);
  await tick();
}

test('session_timeout lengthens the call: the limit counts from the answer, in seconds', async () => {
  const s = setup({ sessionTimeoutMs: 60_000 });
  const t0 = s.time.now();
  s.port.replies.push({ action: 'donothing', session_timeout: 300 });
  s.engine.start();
  s.playFor(1000);
  s.time.advance(9000);
  await say(s);
  s.time.advance(60_000);
  assert.equal(s.port.hungUp, undefined, 'the request’s 60 s no longer end it');
  s.time.advance(300_000 - (s.time.now() - t0) - 1);
  assert.equal(s.port.hungUp, undefined);
  s.time.advance(1);
  assert.equal(s.port.hungUp, 'session-timeout');
  assert.equal(s.time.pendingTimers, 0);
});

test('session_timeout shortens the call; a limit already passed ends it as the reply arrives', async () => {
  const s = setup({ sessionTimeoutMs: 600_000 });
  const t0 = s.time.now();
  s.port.replies.push(
    { action: 'donothing', session_timeout: 30 },
    { action: 'play', action_code: 'a.wav', session_timeout: 20 },
  );
  s.engine.start();
  s.playFor(1000);
  await say(s);
  s.time.advance(1000);
  await say(s);
  assert.equal(s.time.now() - t0, 3000);
  assert.equal(s.port.hungUp, undefined, 'two replies: 30 s, then 20 s from the answer');
  s.time.advance(17_000 - 1);
  assert.equal(s.port.hungUp, undefined);
  s.time.advance(1);
  assert.equal(s.port.hungUp, 'session-timeout');

  const late = setup({ sessionTimeoutMs: 600_000 });
  late.port.replies.push({ action: 'play', action_code: 'a.wav', session_timeout: 10 });
  late.engine.start();
  late.playFor(1000);
  late.time.advance(11_000);
  await say(late);
  assert.equal(late.port.hungUp, 'session-timeout', '12.5 s in, a 10 s limit ends the call');
  assert.equal(late.port.played.length, 1, 'the reply’s media does not play');
});

test('record_flag true starts the recording once; later callbacks carry record_begin_time', async () => {
  const s = setup();
  s.port.replies.push(
    { action: 'donothing', record_flag: true },
    { action: 'donothing', record_flag: 'true' },
  );
  s.engine.start();
  s.playFor(1000);
  await say(s);
  assert.equal(s.port.recordings, 1);
  assert.equal((s.port.callbacks[0]!.content as NormalContent).record_begin_time, undefined);
  const began = s.time.now();
  s.engine.recordingStarted(began);
  await say(s);
  assert.equal(s.port.recordings, 1, 'already recording: not started twice');
  await say(s);
  assert.equal((s.port.callbacks[2]!.content as NormalContent).record_begin_time, began);
  s.engine.stop();
});

test('record_flag false, or a call recorded from the answer, starts nothing', async () => {
  const s = setup({ recordBeginAt: 1_714_528_800_000 });
  s.port.replies.push({ action: 'donothing', record_flag: true });
  s.engine.start();
  s.playFor(100);
  await say(s);
  const off = setup();
  off.port.replies.push({ action: 'donothing', record_flag: false });
  off.engine.start();
  off.playFor(100);
  await say(off);
  assert.equal(s.port.recordings + off.port.recordings, 0);
  s.engine.stop();
  off.engine.stop();
});

test('asr_model_id and asr_base_id switch the recognizer for the following sentences', async () => {
  const s = setup();
  s.port.replies.push(
    { action: 'donothing', asr_model_id: '2070aca1eff146f9a7bc826f1c3d0001' },
    { action: 'donothing', asr_base_id: 'dialect_customer_service_8k' },
    { action: 'donothing' },
  );
  s.engine.start();
  s.playFor(100);
  await say(s);
  await say(s);
  await say(s);
  assert.deepEqual(s.port.recognizers, [
    { asrModelId: '2070aca1eff146f9a7bc826f1c3d0001' },
    { asrBaseId: 'dialect_customer_service_8k' },
  ]);
  s.engine.stop();
});

test('current_media_code names the item that sounds now, and is empty when nothing plays', async () => {
  const s = setup();
  s.engine.start();
  const prompt = s.port.played[0]!;
  s.engine.playbackStarted(prompt.id, s.time.now());
  s.port.items.set(prompt.id, '$name$');
  await say(s);
  assert.equal((s.port.callbacks[0]!.content as NormalContent).current_media_code, '$name$');
  s.engine.playbackEnded(prompt.id, s.time.now(), true);
  await say(s);
  const idle = s.port.callbacks[1]!.content as NormalContent;
  assert.equal(idle.current_media_code, '', 'idle: not the last media');
  assert.notEqual(idle.play_begin_time, '0', 'the last media’s times are still given');
  s.engine.stop();
});

test('a timebreak names the item it interrupted', async () => {
  const s = setup({ actionCodeTimeBreak: 800 });
  s.engine.start();
  const prompt = s.port.played[0]!;
  s.engine.playbackStarted(prompt.id, s.time.now());
  s.port.items.set(prompt.id, 'hello.wav');
  s.engine.speechStarted(s.time.now());
  s.time.advance(800);
  s.engine.speechContinuing(800);
  await tick();
  const tb = s.port.callbacks[0]!;
  assert.equal(tb.type, 'timebreak');
  assert.equal((tb.content as TimebreakContent).current_media_code, 'hello.wav');
  s.engine.stop();
});

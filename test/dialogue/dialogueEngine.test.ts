/**
 * The dialogue's rules (spec §4.4, §4.5), driven event by event on a manual clock: what plays,
 * what gets interrupted, which callbacks go out and when.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setup, tick } from './fakeDialoguePort.js';

test('the opening prompt plays at once; MuteTime after it ends a mute callback goes out', async () => {
  const { time, port, engine, playFor } = setup();
  engine.start();
  assert.equal(port.played.length, 1);
  assert.equal(port.played[0]!.code, 'hello.wav,$name$');
  assert.deepEqual(port.played[0]!.params, { name: '张三' });
  playFor(3000);
  time.advance(4999);
  assert.equal(port.callbacks.length, 0);
  time.advance(1);
  assert.deepEqual(port.callbacks[0], { type: 'mute', content: { dynamic_id: 'start' } });
  engine.stop();
});

test('a sentence recognised during a prompt is reported with is_playing and does not stop it', async () => {
  const { time, port, engine } = setup();
  engine.start();
  const prompt = port.played[0]!;
  engine.playbackStarted(prompt.id, time.now());
  time.advance(1000);
  engine.speechStarted(time.now());
  time.advance(1200);
  engine.speechEnded(time.now(), '你好');
  await tick();
  const cb = port.callbacks[0]!;
  assert.equal(cb.type, 'normal');
  const c = cb.content as unknown as Record<string, unknown>;
  assert.equal(c.words, '你好');
  assert.equal(c.is_playing, true);
  assert.equal(c.current_media_code, 'hello.wav,$name$');
  assert.equal(c.begin_offset, '1000');
  assert.equal(c.end_offset, '2200');
  assert.equal(c.begin_time, '2024-05-01 10:00:00');
  assert.equal(c.play_end_time, '0', 'still playing');
  assert.equal(port.stops, 0, 'the reply decides, not the platform');
  engine.stop();
});

test('a play reply interrupts a breakable prompt; an unbreakable one plays to its end first', async () => {
  for (const breakable of [true, false]) {
    const { time, port, engine } = setup({ actionCodeBreak: breakable });
    port.replies.push({ action: 'play', action_code: '$answer$', action_code_param: '{"answer":"好的"}' });
    engine.start();
    engine.playbackStarted(port.played[0]!.id, time.now());
    engine.speechStarted(time.now());
    time.advance(900);
    engine.speechEnded(time.now(), '我想查询订单');
    await tick();
    await tick();
    if (breakable) {
      assert.equal(port.stops, 1);
      assert.equal(port.played.length, 2, 'the reply plays right away');
    } else {
      assert.equal(port.stops, 0);
      assert.equal(port.played.length, 1, 'queued behind the unbreakable prompt');
      engine.playbackEnded(port.played[0]!.id, time.now(), true);
      assert.equal(port.played.length, 2);
    }
    assert.equal(port.played[1]!.code, '$answer$');
    engine.stop();
  }
});

test('continuous speech over a time-break prompt stops it and sends timebreak', async () => {
  const { time, port, engine } = setup({ actionCodeTimeBreak: 800 });
  engine.start();
  const prompt = port.played[0]!;
  engine.playbackStarted(prompt.id, time.now());
  time.advance(500);
  engine.speechStarted(time.now());
  engine.speechContinuing(700);
  assert.equal(port.stops, 0);
  engine.speechContinuing(820);
  assert.equal(port.stops, 1);
  await tick();
  assert.equal(port.callbacks[0]!.type, 'timebreak');
  assert.deepEqual(port.callbacks[0]!.content, {
    current_media_code: 'hello.wav,$name$',
    asr_begin_time: String(time.now()),
    play_begin_time: String(time.now() - 500),
    dynamic_id: 'start',
  });
  engine.speechContinuing(2000);
  assert.equal(port.callbacks.length, 1, 'once per utterance');
  engine.stop();
});

test('time-based barge-in is off when the opening prompt may not be interrupted', () => {
  const { time, port, engine } = setup({ actionCodeBreak: false, actionCodeTimeBreak: 300 });
  engine.start();
  engine.playbackStarted(port.played[0]!.id, time.now());
  engine.speechStarted(time.now());
  engine.speechContinuing(5000);
  assert.equal(port.stops, 0);
  engine.stop();
});

test('hangup plays its action_code to the end, unbreakable, then hangs up', async () => {
  const { time, port, engine, playFor } = setup();
  port.replies.push({ action: 'hangup', action_code: '$bye$', action_code_param: { bye: '再见' } });
  engine.start();
  playFor(1000);
  engine.speechStarted(time.now());
  engine.speechEnded(time.now() + 500, '没有了');
  await tick();
  const bye = port.played.at(-1)!;
  assert.equal(bye.code, '$bye$');
  assert.equal(bye.breakable, false);
  engine.playbackStarted(bye.id, time.now());
  engine.speechStarted(time.now());
  engine.speechContinuing(10_000);
  assert.equal(port.hungUp, undefined);
  engine.playbackEnded(bye.id, time.now() + 800, true);
  assert.equal(port.hungUp, 'business');
  assert.equal(engine.ended, true);
});

test('hangup without action_code hangs up at once', async () => {
  const { time, port, engine, playFor } = setup();
  port.replies.push({ action: 'hangup' });
  engine.start();
  playFor(100);
  time.advance(5000);
  await tick();
  assert.equal(port.hungUp, 'business');
});

test('mute_time from a reply replaces MuteTime (latest value wins), dynamic_id is echoed', async () => {
  const { time, port, engine, playFor } = setup();
  port.replies.push({ action: 'donothing', mute_time: 2000, dynamic_id: 'step-2' });
  engine.start();
  playFor(100);
  time.advance(5000);
  await tick();
  assert.equal(port.callbacks.length, 1);
  time.advance(2000);
  await tick();
  assert.equal(port.callbacks.length, 2);
  assert.deepEqual(port.callbacks[1]!.content, { dynamic_id: 'step-2' });
  engine.stop();
});

test('SessionTimeout hangs up however the conversation stands', () => {
  const { time, port, engine } = setup({ sessionTimeoutMs: 30_000 });
  engine.start();
  engine.playbackStarted(port.played[0]!.id, time.now());
  time.advance(30_000);
  assert.equal(port.hungUp, 'session-timeout');
  assert.equal(time.pendingTimers, 0, 'no timer left');
});

test('callbacks go out one at a time, in order', async () => {
  const { time, port, engine, playFor } = setup();
  port.autoReply = false;
  engine.start();
  playFor(100);
  engine.speechStarted(time.now());
  engine.speechEnded(time.now() + 500, '第一句');
  engine.speechStarted(time.now() + 600);
  engine.speechEnded(time.now() + 900, '第二句');
  assert.equal(port.callbacks.length, 1);
  port.answer();
  await tick();
  assert.equal(port.callbacks.length, 2);
  assert.equal((port.callbacks[1]!.content as { words: string }).words, '第二句');
  port.answer();
  engine.stop();
});

test('with the account set to silent, unrecognised speech sends nothing but still counts as not being silent', async () => {
  const { time, port, engine, playFor } = setup({ unrecognized: 'silent' });
  engine.start();
  playFor(100);
  time.advance(4000);
  engine.speechStarted(time.now());
  time.advance(2000);
  engine.speechEnded(time.now(), undefined);
  time.advance(4999);
  assert.equal(port.callbacks.length, 0, 'the mute clock restarted when the speech ended');
  time.advance(1);
  assert.equal(port.callbacks[0]!.type, 'mute');
  engine.stop();
});

test('transfer hands the callee over: prompts and timers stop, no callback follows', async () => {
  const { time, port, engine, playFor } = setup();
  port.replies.push({ action: 'transfer', number: '13900009999' });
  engine.start();
  playFor(100);
  time.advance(5000);
  await tick();
  assert.deepEqual(port.legs, ['transfer:13900009999']);
  assert.equal(engine.ended, true);
  time.advance(60_000);
  assert.equal(port.callbacks.length, 1, 'no mute after the transfer');
  assert.equal(time.pendingTimers, 0);
});

test('parallel_transfer keeps the robot talking; parallel_bridge then hands over', async () => {
  const { time, port, engine, playFor } = setup();
  port.replies.push(
    { action: 'parallel_transfer', cc_name: 'aliyun_cc', is_monitor: false },
    { action: 'parallel_bridge' },
  );
  engine.start();
  playFor(100);
  time.advance(5000);
  await tick();
  assert.deepEqual(port.legs, ['parallel:aliyun_cc']);
  assert.equal(engine.ended, false, 'the conversation goes on');
  engine.parallelTransferResult({ status: 'success', failCause: '', isMonitor: false, ccName: 'aliyun_cc' });
  await tick();
  const cb = port.callbacks.at(-1)!;
  assert.equal(cb.type, 'parallel_transfer');
  assert.deepEqual(cb.content, {
    dynamic_id: 'start',
    transfer_status: 'success',
    fail_cause: '',
    is_monitor: false,
    cc_name: 'aliyun_cc',
  });
  assert.deepEqual(port.legs, ['parallel:aliyun_cc', 'bridge']);
  assert.equal(engine.ended, true, 'bridged: the robot is done');
});

/**
 * Key collection (spec §4.4 `dtmf`, §4.3 `dtmf` content): every `dtmf` action ends in exactly one
 * `dtmf` callback — the keys, or `noInputTimeout` — unless the call ends first. The no-input clock
 * (`dtmf_nonin_overtime`) runs while keys are awaited and nothing plays, so no path can leave the
 * call waiting for SessionTimeout (mute is held back while keys are collected).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import { DtmfCollection } from '../../src/dialogue/dtmfCollection.js';
import { setup, tick } from './fakeDialoguePort.js';

/**
 * The opening prompt starts; the callee says something over it and the business answers `reply`,
 * which is executed while the opening still plays.
 */
async function replyDuringOpening(
  reply: Record<string, unknown>,
  over: Parameters<typeof setup>[0] = {},
): Promise<ReturnType<typeof setup> & { openingId: string }> {
  const s = setup(over);
  s.port.replies.push(reply);
  s.engine.start();
  const openingId = s.port.played[0]!.id;
  s.engine.playbackStarted(openingId, s.time.now());
  s.engine.speechStarted(s.time.now());
  s.time.advance(800);
  s.engine.speechEnded(s.time.now(), '要按键吗');
  await tick();
  assert.equal(s.port.callbacks.length, 1, 'the sentence went out');
  return { ...s, openingId };
}

/** The opening plays to its end, then `MuteTime` of silence brings the `reply`. */
async function replyAfterSilence(...replies: Record<string, unknown>[]) {
  const s = setup();
  s.port.replies.push(...replies);
  s.engine.start();
  s.playFor(100);
  s.time.advance(5000);
  await tick();
  return s;
}

test('dtmf collects keys after its prompt until the end character', async () => {
  const { time, port, engine, playFor } = setup();
  port.replies.push({
    action: 'dtmf',
    action_code: 'press.wav',
    dtmf_nonin_overtime: 5,
    dtmf_max_numbers: 5,
    dtmf_end_character: '#',
    dynamic_id: 'menu',
  });
  engine.start();
  playFor(100);
  time.advance(5000); // mute → dtmf reply
  await tick();
  playFor(1000); // press.wav
  engine.dtmf('1');
  time.advance(4000);
  engine.dtmf('2');
  engine.dtmf('#');
  await tick();
  const dtmf = port.callbacks.find((c) => c.type === 'dtmf')!;
  assert.deepEqual(dtmf.content, { dynamic_id: 'menu', dtmf_digits: '12#' });
  engine.stop();
});

test('dtmf without input reports noInputTimeout after dtmf_nonin_overtime', async () => {
  const { time, port, engine, playFor } = setup();
  port.replies.push({ action: 'dtmf', dtmf_nonin_overtime: 3, dtmf_max_numbers: 1 });
  engine.start();
  playFor(100);
  time.advance(5000);
  await tick();
  time.advance(2999);
  assert.equal(port.callbacks.filter((c) => c.type === 'dtmf').length, 0);
  time.advance(1);
  await tick();
  assert.deepEqual(port.callbacks.at(-1)!.content, { dynamic_id: 'start', dtmf_digits: 'noInputTimeout' });
  engine.stop();
});

test('dtmf_max_numbers ends collection without waiting', async () => {
  const { time, port, engine, playFor } = setup();
  port.replies.push({ action: 'dtmf', dtmf_max_numbers: 2 });
  engine.start();
  playFor(100);
  time.advance(5000);
  await tick();
  engine.dtmf('4');
  engine.dtmf('2');
  await tick();
  assert.equal((port.callbacks.at(-1)!.content as { dtmf_digits: string }).dtmf_digits, '42');
  engine.stop();
});

test('a dtmf reply without action_code over an unbreakable prompt times out after that prompt ends', async () => {
  const { time, port, engine, openingId } = await replyDuringOpening(
    { action: 'dtmf', dtmf_nonin_overtime: 3, dynamic_id: 'menu' },
    { actionCodeBreak: false },
  );
  assert.equal(port.stops, 0, 'the unbreakable opening plays on');
  time.advance(10_000);
  assert.deepEqual(port.dtmfResults, [], 'no-input clock waits while the opening plays');
  engine.playbackEnded(openingId, time.now(), true);
  time.advance(2999);
  assert.deepEqual(port.dtmfResults, []);
  time.advance(1);
  assert.deepEqual(port.callbacks.at(-1), {
    type: 'dtmf',
    content: { dynamic_id: 'menu', dtmf_digits: 'noInputTimeout' },
  });
  time.advance(60_000);
  assert.deepEqual(port.dtmfResults, ['noInputTimeout'], 'exactly one');
  engine.stop();
});

test('a dtmf reply with action_break false and no action_code times out after the prompt ends', async () => {
  const { time, port, engine, openingId } = await replyDuringOpening({
    action: 'dtmf',
    action_break: false,
    dtmf_nonin_overtime: 4,
  });
  assert.equal(port.stops, 0, 'action_break false: the breakable opening plays on');
  time.advance(3000);
  engine.playbackEnded(openingId, time.now(), true);
  time.advance(3999);
  assert.deepEqual(port.dtmfResults, []);
  time.advance(1);
  assert.deepEqual(port.dtmfResults, ['noInputTimeout']);
  engine.stop();
});

test('a dtmf prompt cut by a timebreak still ends in one dtmf callback', async () => {
  const { time, port, engine } = await replyAfterSilence({
    action: 'dtmf',
    action_code: 'press.wav',
    action_code_time_break: 500,
    dtmf_nonin_overtime: 3,
    dynamic_id: 'menu',
  });
  const press = port.played.at(-1)!;
  assert.equal(press.purpose, 'dtmf');
  engine.playbackStarted(press.id, time.now());
  time.advance(300);
  engine.speechStarted(time.now());
  engine.speechContinuing(600);
  assert.equal(port.stops, 1, 'spec §4.5 rule 3 applies to the dtmf prompt too');
  await tick(); // the flushed prompt is reported; the timebreak reply (donothing) is carried out
  assert.deepEqual(
    port.callbacks.map((c) => c.type),
    ['mute', 'timebreak'],
  );
  engine.speechEnded(time.now(), undefined);
  time.advance(2999);
  assert.deepEqual(port.dtmfResults, []);
  time.advance(1);
  assert.deepEqual(port.dtmfResults, ['noInputTimeout']);
  time.advance(60_000);
  assert.deepEqual(port.dtmfResults, ['noInputTimeout']);
  engine.stop();
});

// Keys over an unbreakable dtmf prompt are collected, not dropped: action_code_break (spec §4.4,
// §4.5 rule 1) says whether the media may be stopped, nothing about input; the key-collection
// fields are about when collection ends, and collection is open from the moment the action is
// carried out (keys over a breakable prompt count too). Dropping them would lose what the callee
// typed and leave them waiting for a noInputTimeout; keeping the prompt playing honours the
// business's wish that it be heard to the end.
test('keys over an unbreakable dtmf prompt do not stop it, and are collected', async () => {
  const { time, port, engine } = await replyAfterSilence({
    action: 'dtmf',
    action_code: 'menu.wav',
    action_code_break: false,
    dtmf_max_numbers: 2,
    dynamic_id: 'menu',
  });
  const menu = port.played.at(-1)!;
  assert.equal(menu.breakable, false);
  engine.playbackStarted(menu.id, time.now());
  time.advance(1000);
  engine.dtmf('1');
  await tick();
  assert.equal(port.stops, 0, 'the prompt plays on');
  time.advance(5000);
  assert.deepEqual(port.dtmfResults, [], 'no timeout while the prompt plays');
  engine.dtmf('2');
  assert.deepEqual(port.dtmfResults, ['12'], 'complete while the prompt still plays');
  assert.equal(port.stops, 0);
  engine.playbackEnded(menu.id, time.now(), true);
  time.advance(60_000);
  assert.deepEqual(port.dtmfResults, ['12']);
  engine.stop();
});

test('a key over an unbreakable dtmf prompt counts; the no-input clock starts when the prompt ends', async () => {
  const { time, port, engine } = await replyAfterSilence({
    action: 'dtmf',
    action_code: 'menu.wav',
    action_code_break: false,
    dtmf_max_numbers: 3,
    dtmf_nonin_overtime: 3,
  });
  const menu = port.played.at(-1)!;
  engine.playbackStarted(menu.id, time.now());
  time.advance(500);
  engine.dtmf('7');
  time.advance(4000);
  assert.equal(port.stops, 0);
  engine.playbackEnded(menu.id, time.now(), true);
  time.advance(2999);
  assert.deepEqual(port.dtmfResults, []);
  time.advance(1);
  assert.deepEqual(port.dtmfResults, ['7']);
  engine.stop();
});

test('a key over a breakable dtmf prompt stops it', async () => {
  const { time, port, engine } = await replyAfterSilence({
    action: 'dtmf',
    action_code: 'menu.wav',
    dtmf_max_numbers: 2,
    dtmf_nonin_overtime: 3,
  });
  engine.playbackStarted(port.played.at(-1)!.id, time.now());
  engine.dtmf('3');
  assert.equal(port.stops, 1);
  await tick();
  time.advance(3000);
  assert.deepEqual(port.dtmfResults, ['3']);
  engine.stop();
});

test('every way a collection ends sends exactly one dtmf callback', async () => {
  const cases: { name: string; reply: Record<string, unknown>; keys: string[]; want: string }[] = [
    {
      name: 'terminator',
      reply: { dtmf_max_numbers: 5, dtmf_end_character: '#' },
      keys: ['1', '#', '2', '#'],
      want: '1#',
    },
    { name: 'max digits', reply: { dtmf_max_numbers: 2 }, keys: ['4', '2', '7'], want: '42' },
    { name: 'keys then silence', reply: { dtmf_max_numbers: 4 }, keys: ['5'], want: '5' },
    { name: 'no keys', reply: { dtmf_max_numbers: 4 }, keys: [], want: 'noInputTimeout' },
  ];
  for (const c of cases) {
    const { time, port, engine, playFor } = await replyAfterSilence({
      action: 'dtmf',
      action_code: 'menu.wav',
      dtmf_nonin_overtime: 3,
      ...c.reply,
    });
    playFor(1000);
    for (const k of c.keys) engine.dtmf(k);
    for (let i = 0; i < 10; i++) {
      time.advance(3000);
      engine.dtmf('9'); // late keys: the collection is over
      await tick();
    }
    assert.deepEqual(port.dtmfResults, [c.want], c.name);
    engine.stop();
  }
});

test('the callee hanging up mid-collection sends no dtmf callback and leaves no timer', async () => {
  const { time, port, engine, playFor } = await replyAfterSilence({
    action: 'dtmf',
    action_code: 'menu.wav',
    dtmf_max_numbers: 3,
  });
  playFor(1000);
  engine.dtmf('1');
  engine.stop(); // what CallSession does when the far end hangs up
  engine.dtmf('2');
  engine.dtmf('3');
  time.advance(60_000);
  await tick();
  assert.deepEqual(port.dtmfResults, []);
  assert.equal(time.pendingTimers, 0);
});

test('a dtmf action replaced by a new one before it ends: only the new one reports, on its own clock', async () => {
  const { time, port, engine } = await replyAfterSilence(
    { action: 'dtmf', dtmf_nonin_overtime: 3, dynamic_id: 'first' },
    { action: 'dtmf', dtmf_nonin_overtime: 10, dynamic_id: 'second' },
  );
  time.advance(1000);
  // A callback posted during collection whose reply asks for keys again.
  engine.parallelTransferResult({ status: 'fail', failCause: 'busy', isMonitor: false, ccName: 'cc' });
  await tick();
  time.advance(9999);
  assert.deepEqual(port.dtmfResults, [], 'the first collection’s clock is gone');
  time.advance(1);
  assert.deepEqual(port.callbacks.at(-1), {
    type: 'dtmf',
    content: { dynamic_id: 'second', dtmf_digits: 'noInputTimeout' },
  });
  time.advance(60_000);
  assert.deepEqual(port.dtmfResults, ['noInputTimeout']);
  engine.stop();
});

test('a hangup reply during collection abandons it: keys over the goodbye send nothing', async () => {
  const { time, port, engine } = await replyAfterSilence(
    { action: 'dtmf', dtmf_max_numbers: 1, dtmf_nonin_overtime: 3 },
    { action: 'hangup', action_code: 'bye.wav' },
  );
  engine.parallelTransferResult({ status: 'fail', failCause: 'busy', isMonitor: false, ccName: 'cc' });
  await tick();
  const bye = port.played.at(-1)!;
  assert.equal(bye.purpose, 'hangup');
  engine.playbackStarted(bye.id, time.now());
  engine.dtmf('1');
  time.advance(5000);
  assert.deepEqual(port.dtmfResults, []);
  engine.playbackEnded(bye.id, time.now(), true);
  assert.equal(port.hungUp, 'business');
  assert.equal(time.pendingTimers, 0);
});

test('keys that complete the collection before its prompt plays drop that prompt', async () => {
  const { time, port, engine, openingId } = await replyDuringOpening(
    { action: 'dtmf', action_code: 'menu.wav', dtmf_max_numbers: 1 },
    { actionCodeBreak: false },
  );
  assert.equal(port.played.length, 1, 'menu.wav waits behind the unbreakable opening');
  engine.dtmf('1');
  assert.deepEqual(port.dtmfResults, ['1']);
  engine.playbackEnded(openingId, time.now(), true);
  assert.equal(port.played.length, 1, 'the menu is no longer asked');
  engine.stop();
});

test('a DtmfCollection runs its no-input clock only while waiting, restarts it at each key, ends once', () => {
  const time = new ManualClock();
  const ended: string[] = [];
  const c = new DtmfCollection({ noInputTimeoutS: 3, maxDigits: 4, endCharacter: '#' }, time, (d) =>
    ended.push(d),
  );
  time.advance(10_000);
  assert.deepEqual(ended, [], 'not waiting yet: a prompt plays');
  c.key('1');
  c.setWaiting(true);
  time.advance(2000);
  c.key('2');
  time.advance(2999);
  assert.deepEqual(ended, []);
  time.advance(1);
  assert.deepEqual(ended, ['12']);
  c.key('#');
  c.setWaiting(true);
  time.advance(10_000);
  assert.deepEqual(ended, ['12'], 'once');
  assert.equal(time.pendingTimers, 0);
});

test('a closed DtmfCollection reports nothing', () => {
  const time = new ManualClock();
  const ended: string[] = [];
  const c = new DtmfCollection({ noInputTimeoutS: 3, maxDigits: 1, endCharacter: '' }, time, (d) =>
    ended.push(d),
  );
  c.setWaiting(true);
  c.close();
  c.key('1');
  time.advance(10_000);
  assert.equal(ended.length, 0);
  assert.equal(time.pendingTimers, 0);
  const quiet = new DtmfCollection({ noInputTimeoutS: 3, maxDigits: 1, endCharacter: '' }, time, (d) =>
    ended.push(d),
  );
  quiet.setWaiting(true);
  time.advance(3000);
  assert.deepEqual(ended, ['noInputTimeout']);
});

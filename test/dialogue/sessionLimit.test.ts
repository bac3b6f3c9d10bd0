/** SessionTimeout and a reply's session_timeout: one clock from the answer, on a manual clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import { SessionLimit } from '../../src/dialogue/sessionLimit.js';

test('the call ends when SessionTimeout has passed since the answer', () => {
  const time = new ManualClock();
  let expired = 0;
  const limit = new SessionLimit(time, () => expired++);
  limit.start(60_000);
  time.advance(59_999);
  assert.equal(expired, 0);
  time.advance(1);
  assert.equal(expired, 1);
  assert.equal(time.pendingTimers, 0);
});

test('a reply’s session_timeout counts from the answer too, longer or shorter', () => {
  const time = new ManualClock();
  let expired = 0;
  const limit = new SessionLimit(time, () => expired++);
  limit.start(60_000);
  time.advance(20_000);
  assert.equal(limit.moveTo(90), true);
  time.advance(69_999);
  assert.equal(expired, 0, 'not at the old limit');
  time.advance(1);
  assert.equal(expired, 1, 'at 90 s from the answer');
});

test('a session_timeout already passed is refused, and the running limit is left as it was', () => {
  const time = new ManualClock();
  let expired = 0;
  const limit = new SessionLimit(time, () => expired++);
  limit.start(60_000);
  time.advance(30_000);
  assert.equal(limit.moveTo(30), false);
  assert.equal(time.pendingTimers, 1);
  limit.close();
  assert.equal(time.pendingTimers, 0);
  time.advance(60_000);
  assert.equal(expired, 0);
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { systemClock } from '../../src/clock/clock.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { sleep, within } from '../../src/clock/within.js';

describe('the clock', () => {
  test('the system clock never goes backwards and reads as an epoch time', () => {
    let last = systemClock.now();
    for (let i = 0; i < 10_000; i++) {
      const t = systemClock.now();
      assert.ok(t >= last);
      last = t;
    }
    assert.ok(Math.abs(last - Date.now()) < 60_000);
  });

  test('a manual clock fires due timers in order, each at its due time', () => {
    const clock = new ManualClock({ start: 0 });
    const seen: string[] = [];
    clock.setTimer(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimer(() => seen.push(`a@${clock.now()}`), 10);
    const gone = clock.setTimer(() => seen.push('cleared'), 15);
    clock.clearTimer(gone);
    clock.advance(30);
    assert.deepEqual(seen, ['a@10', 'b@20']);
    assert.equal(clock.now(), 30);
    assert.equal(clock.pendingTimers, 0);
  });

  test('within() reports whether the promise won and leaves no timer behind', async () => {
    const clock = new ManualClock({ start: 0 });
    assert.equal(await within(Promise.resolve(1), 100, clock), true);
    assert.equal(await within(Promise.reject(new Error('x')), 100, clock), true);
    assert.equal(clock.pendingTimers, 0);
    const never = new Promise(() => {});
    const lost = within(never, 100, clock);
    clock.advance(100);
    assert.equal(await lost, false);
    assert.equal(clock.pendingTimers, 0);
  });

  test('sleep() ends early when its signal aborts', async () => {
    const clock = new ManualClock({ start: 0 });
    const abort = new AbortController();
    const slept = sleep(10_000, clock, abort.signal);
    abort.abort();
    await slept;
    assert.equal(clock.pendingTimers, 0);
  });
});

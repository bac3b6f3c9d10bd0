import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import { type ClockSubscriber, MediaClock } from '../../src/media/mediaClock.js';

/** Lateness function: the first timer due at or after `at` fires `by` ms late; all others on time. */
function stallOnce(at: number, by: number): (due: number) => number {
  let stalled = false;
  return (due) => {
    if (stalled || due < at) return 0;
    stalled = true;
    return by;
  };
}

function recorder() {
  const times: number[] = [];
  const ticks: number[] = [];
  const sub: ClockSubscriber = {
    onTick: (time, tick) => {
      times.push(time);
      ticks.push(tick);
    },
  };
  return { sub, times, ticks };
}

describe('MediaClock', () => {
  test('keeps ticks on the 20 ms grid when every timer fires 1.3 ms late (no accumulated drift)', () => {
    const time = new ManualClock({ start: 0, lateness: () => 1.3 });
    const clock = new MediaClock({ clock: time });
    const { sub, times, ticks } = recorder();
    const wallAtTick: number[] = [];
    clock.subscribe({ onTick: () => wallAtTick.push(time.now()) });
    clock.subscribe(sub);
    clock.start();
    time.advance(10_002);
    clock.stop();
    // A timer re-armed for a flat 20 ms would have managed 10000 / 21.3 = 469 ticks.
    assert.equal(times.length, 500);
    assert.deepEqual(times.slice(0, 3), [20, 40, 60]);
    assert.equal(times[499], 10_000);
    assert.deepEqual(ticks.slice(0, 3), [0, 1, 2]);
    const worst = Math.max(...wallAtTick.map((w, i) => w - times[i]!));
    assert.ok(worst <= 1.3 + 1e-9, `ticks ran at most one timer-lateness after their deadline, got ${worst}`);
    assert.equal(time.pendingTimers, 0);
  });

  test('catches up a short stall by running the missed ticks back to back', () => {
    const time = new ManualClock({ start: 0, lateness: stallOnce(100, 50) });
    const clock = new MediaClock({ clock: time, maxCatchUpTicks: 3 });
    const { sub, times } = recorder();
    clock.subscribe(sub);
    clock.start();
    time.advance(300);
    clock.stop();
    assert.deepEqual(times.slice(0, 8), [20, 40, 60, 80, 100, 120, 140, 160]);
    assert.equal(times.length, 15);
    assert.equal(clock.stats.skippedTicks, 0);
    assert.equal(clock.stats.caughtUpTicks, 2);
  });

  test('skips ticks beyond the catch-up limit after a long stall, counting them, and keeps the tick index aligned', () => {
    const time = new ManualClock({ start: 0, lateness: stallOnce(100, 200) });
    const clock = new MediaClock({ clock: time, maxCatchUpTicks: 3 });
    const { sub, times, ticks } = recorder();
    clock.subscribe(sub);
    clock.start();
    time.advance(400);
    clock.stop();
    // Tick 4 (due 100) ran at 300: ticks 4-10 were skipped, 11-14 (due 240-300) ran back to back.
    assert.equal(clock.stats.skippedTicks, 7);
    assert.deepEqual(ticks.slice(3, 9), [3, 11, 12, 13, 14, 15]);
    assert.deepEqual(times.slice(3, 9), [80, 240, 260, 280, 300, 320]);
    assert.equal(times.at(-1), 400);
  });

  test('runs every send phase before any receive phase within a tick', () => {
    const time = new ManualClock({ start: 0 });
    const clock = new MediaClock({ clock: time });
    const order: string[] = [];
    for (const name of ['a', 'b']) {
      clock.subscribe({
        onTick: () => order.push(`${name}.send`),
        onAfterTick: () => order.push(`${name}.receive`),
      });
    }
    clock.start();
    time.advance(20);
    clock.stop();
    assert.deepEqual(order, ['a.send', 'b.send', 'a.receive', 'b.receive']);
  });

  test('keeps ticking the others when one subscriber throws, and counts the failure', () => {
    const time = new ManualClock({ start: 0 });
    const clock = new MediaClock({ clock: time });
    const { sub, times } = recorder();
    clock.subscribe({
      onTick: () => {
        throw new Error('boom');
      },
    });
    clock.subscribe(sub);
    clock.start();
    time.advance(60);
    clock.stop();
    assert.equal(times.length, 3);
    assert.equal(clock.stats.subscriberErrors, 3);
  });

  test('lets a subscriber unsubscribe itself mid-tick without disturbing the others', () => {
    const time = new ManualClock({ start: 0 });
    const clock = new MediaClock({ clock: time });
    const { sub, times } = recorder();
    const self: ClockSubscriber = { onTick: () => clock.unsubscribe(self) };
    clock.subscribe(self);
    clock.subscribe(sub);
    assert.equal(clock.subscriberCount, 2);
    clock.start();
    time.advance(40);
    clock.stop();
    assert.equal(clock.subscriberCount, 1);
    assert.equal(times.length, 2);
  });

  test('stop cancels its timer, so nothing is left pending', () => {
    const time = new ManualClock({ start: 0 });
    const clock = new MediaClock({ clock: time });
    clock.start();
    assert.equal(time.pendingTimers, 1);
    clock.stop();
    assert.equal(time.pendingTimers, 0);
    assert.equal(clock.running, false);
  });

  test('in real time, ticks average 20 ms apart and do not drift', async () => {
    const clock = new MediaClock();
    const wall: number[] = [];
    const ideal: number[] = [];
    clock.subscribe({
      onTick: (time) => {
        wall.push(clock.now());
        ideal.push(time);
      },
    });
    const started = performance.now();
    clock.start();
    await new Promise((resolve) => setTimeout(resolve, 1030));
    clock.stop();
    // On a loaded machine the wait itself can overrun; count against the time that really passed.
    const expected = Math.floor((performance.now() - started) / 20) + 1;
    assert.ok(
      wall.length >= expected - 6 && wall.length <= expected + 1,
      `ticks: ${wall.length}, expected ~${expected}`,
    );
    const mean = (wall.at(-1)! - wall[0]!) / (wall.length - 1);
    assert.ok(Math.abs(mean - 20) < 1, `mean interval ${mean.toFixed(3)} ms`);
    const lateness = wall.map((w, i) => w - ideal[i]!).sort((a, b) => a - b);
    // Drift would make lateness grow tick after tick; one late tick on a busy machine is no drift
    // (the worst case under load is bench:media's business, not a unit test's).
    const median = lateness[Math.floor(lateness.length / 2)]!;
    assert.ok(median < 10, `median lateness ${median.toFixed(2)} ms`);
    assert.ok(ideal.every((t, i) => i === 0 || Math.abs(t - ideal[i - 1]! - 20) < 1e-6));
  });
});

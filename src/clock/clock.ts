/**
 * The one clock of the process. Every timestamp and every timer in smartcall comes from a `Clock`,
 * so that tests drive time by hand ({@link ManualClock}) and no figure ever mixes two clocks: the
 * system clock below is monotonic, expressed as epoch milliseconds, so a call's answer time and
 * the speech times the media path reports subtract cleanly even when the wall clock is adjusted.
 *
 * This folder is the bottom of the tree: it imports nothing from the rest of `src/`.
 */
import { performance } from 'node:perf_hooks';

/** A timer's handle, only good for {@link Clock.clearTimer} of the clock that made it. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the Unix epoch, sub-millisecond precision, never going backwards. */
  now(): number;
  /** Calls `callback` once after `delayMs`; returns a handle for {@link clearTimer}. */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimer(handle: TimerHandle): void;
}

/**
 * Real time: a monotonic clock (performance.now) anchored at process start to the epoch, so times
 * are comparable across calls and still meaningful as dates; timers are Node's.
 */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** `clock.now()` in whole milliseconds: the form records and wire integers take. */
export function wholeMs(clock: Clock = systemClock): number {
  return Math.round(clock.now());
}

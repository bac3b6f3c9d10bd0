/**
 * Where the media path gets its time. Everything timer-driven takes a TimeSource so tests can run it
 * on a {@link ManualTimeSource} without sleeping.
 */
import { performance } from 'node:perf_hooks';

export interface TimeSource {
  /** Milliseconds since the Unix epoch, sub-millisecond precision, never going backwards. */
  now(): number;
  /** Calls `callback` once after `delayMs`; returns a handle for {@link clearTimer}. */
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

/**
 * Real time: a monotonic clock (performance.now) expressed as epoch milliseconds, so times are both
 * comparable across calls and meaningful as dates; timers are Node's.
 */
export const realTimeSource: TimeSource = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

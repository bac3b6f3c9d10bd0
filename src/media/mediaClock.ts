/**
 * The one 20 ms media clock that drives every call's send and receive (DESIGN §3: no timer per call).
 *
 * Drift correction: tick n is due at `start + n * 20 ms`. After each run the timer is re-armed for
 * the next ideal deadline measured from *now*, so a timer that fires late shortens the next wait
 * instead of pushing every later tick back.
 *
 * Falling behind (event loop blocked, GC pause): missed ticks are run back to back, up to
 * `maxCatchUpTicks` (default 3 = 60 ms), so short hiccups lose no audio. Beyond that the excess ticks
 * are skipped and counted (`skippedTicks`): bursting seconds of packets at a peer helps nobody.
 * The tick index still advances over skipped ticks, so subscribers that derive RTP timestamps from it
 * stay aligned with real time (the peer sees a timestamp gap, which is the truth).
 *
 * Each tick runs in two phases: every subscriber's `onTick` (send: packets leave as close to the
 * deadline as possible), then every subscriber's `onAfterTick` (receive, consumers, recording).
 *
 * It is also a `Clock` (its `now` and timers are those of the Clock it ticks on), so the parts of a
 * call that need time take the media clock and every timestamp of the call has one origin.
 */

import { type Clock, systemClock, type TimerHandle } from '../clock/clock.js';
import type { Logger } from '../observability/logger.js';

export interface ClockSubscriber {
  /** Phase 1 of tick `tick`, whose ideal time is `time` (ms). */
  onTick(time: number, tick: number): void;
  /** Phase 2, after every subscriber's phase 1. */
  onAfterTick?(time: number, tick: number): void;
}

export interface MediaClockOptions {
  /** The clock it ticks on (default the system clock; tests pass a ManualClock). */
  clock?: Clock;
  /** Tick period (default 20 ms). */
  intervalMs?: number;
  /** Missed ticks run back to back before the rest are skipped (default 3). */
  maxCatchUpTicks?: number;
  logger?: Logger;
}

export interface MediaClockStats {
  /** Ticks run. */
  ticks: number;
  /** Ticks run later than one interval after their due time (caught up). */
  caughtUpTicks: number;
  /** Ticks skipped because the clock fell too far behind. */
  skippedTicks: number;
  /** Largest delay between a tick's due time and its run, in ms. */
  maxLatenessMs: number;
  /** Exceptions thrown by subscribers (caught; the clock keeps running). */
  subscriberErrors: number;
}

export class MediaClock implements Clock {
  readonly intervalMs: number;
  readonly #time: Clock;
  readonly #maxCatchUp: number;
  readonly #log: Logger | undefined;
  // Copy-on-write: (un)subscribing during a tick replaces the array, the running loop keeps its own.
  #subscribers: readonly ClockSubscriber[] = [];
  #timer: unknown;
  #running = false;
  #next = 0;
  #tick = 0;
  readonly #stats: MediaClockStats = {
    ticks: 0,
    caughtUpTicks: 0,
    skippedTicks: 0,
    maxLatenessMs: 0,
    subscriberErrors: 0,
  };

  constructor(options: MediaClockOptions = {}) {
    this.#time = options.clock ?? systemClock;
    this.intervalMs = options.intervalMs ?? 20;
    this.#maxCatchUp = options.maxCatchUpTicks ?? 3;
    this.#log = options.logger;
  }

  get running(): boolean {
    return this.#running;
  }
  /** Index of the next tick to run. */
  get tick(): number {
    return this.#tick;
  }
  /** Ideal time of the next tick. */
  get nextTickAt(): number {
    return this.#next;
  }
  get stats(): Readonly<MediaClockStats> {
    return this.#stats;
  }
  get subscriberCount(): number {
    return this.#subscribers.length;
  }

  now(): number {
    return this.#time.now();
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    return this.#time.setTimer(callback, delayMs);
  }

  clearTimer(handle: TimerHandle): void {
    this.#time.clearTimer(handle);
  }

  /** Starts ticking; the first tick is due one interval from now. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#next = this.#time.now() + this.intervalMs;
    this.#arm();
  }

  /** Stops ticking and cancels the pending timer (subscribers stay registered). */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    if (this.#timer !== undefined) this.#time.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  subscribe(subscriber: ClockSubscriber): void {
    if (this.#subscribers.includes(subscriber)) return;
    this.#subscribers = [...this.#subscribers, subscriber];
  }

  unsubscribe(subscriber: ClockSubscriber): void {
    this.#subscribers = this.#subscribers.filter((s) => s !== subscriber);
  }

  #arm(): void {
    this.#timer = this.#time.setTimer(this.#run, Math.max(0, this.#next - this.#time.now()));
  }

  readonly #run = (): void => {
    this.#timer = undefined;
    if (!this.#running) return;
    const now = this.#time.now();
    // Timers can fire a fraction of a millisecond early; treat within 1 ms as due.
    if (this.#next - now <= 1) {
      const interval = this.intervalMs;
      const behind = Math.floor((now - this.#next) / interval);
      if (behind > this.#maxCatchUp) {
        const skip = behind - this.#maxCatchUp;
        this.#stats.skippedTicks += skip;
        this.#next += skip * interval;
        this.#tick += skip;
        this.#log?.warn(
          { skipped: skip, total: this.#stats.skippedTicks },
          'media clock fell behind; ticks skipped',
        );
      }
      // Run what is due as of this wake-up; anything that came due while running waits for the re-arm.
      while (this.#next - now <= 1 && this.#running) {
        const lateness = now - this.#next;
        if (lateness > this.#stats.maxLatenessMs) this.#stats.maxLatenessMs = lateness;
        if (lateness >= interval) this.#stats.caughtUpTicks++;
        this.#runTick(this.#next, this.#tick);
        this.#next += interval;
        this.#tick++;
      }
    }
    if (this.#running) this.#arm();
  };

  #runTick(time: number, tick: number): void {
    const subscribers = this.#subscribers;
    this.#stats.ticks++;
    for (let i = 0; i < subscribers.length; i++) {
      try {
        subscribers[i]!.onTick(time, tick);
      } catch (err) {
        this.#subscriberFailed(err);
      }
    }
    for (let i = 0; i < subscribers.length; i++) {
      const s = subscribers[i]!;
      if (s.onAfterTick === undefined) continue;
      try {
        s.onAfterTick(time, tick);
      } catch (err) {
        this.#subscriberFailed(err);
      }
    }
  }

  #subscriberFailed(err: unknown): void {
    this.#stats.subscriberErrors++;
    if (this.#stats.subscriberErrors === 1 || this.#stats.subscriberErrors % 1000 === 0) {
      this.#log?.error({ err, errors: this.#stats.subscriberErrors }, 'media clock subscriber threw');
    }
  }
}

/**
 * Time for the SIP stack. Every timer goes through `Timers`, which takes the process's `Clock`
 * (tests drive a ManualClock) and counts the timers alive so that tests can assert none is left.
 */
import { type Clock, systemClock } from '../clock/clock.js';

/** RFC 3261 §17.1.1.1 timer values in milliseconds. */
export interface SipTimerConfig {
  /** RTT estimate (default 500 ms). Timers B, F, H, J, L, M are 64*T1. */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses (default 4 s). */
  t2: number;
  /** Maximum time a message stays in the network (default 5 s). */
  t4: number;
}

export const DEFAULT_TIMER_CONFIG: SipTimerConfig = { t1: 500, t2: 4000, t4: 5000 };

/** A scheduled callback; `live` until it fires or is cleared. */
export class Timer {
  handle: unknown;
  live = true;
}

export class Timers {
  readonly clock: Clock;
  #active = 0;

  constructor(clock: Clock = systemClock) {
    this.clock = clock;
  }

  /** Timers scheduled and neither fired nor cleared. */
  get active(): number {
    return this.#active;
  }

  set(ms: number, fn: () => void): Timer {
    const timer = new Timer();
    this.#active++;
    timer.handle = this.clock.setTimer(() => {
      if (!timer.live) return;
      timer.live = false;
      this.#active--;
      fn();
    }, ms);
    return timer;
  }

  /** Clears a timer; safe on undefined or already finished timers. Returns undefined for reassignment. */
  clear(timer: Timer | undefined): undefined {
    if (timer?.live) {
      timer.live = false;
      this.#active--;
      this.clock.clearTimer(timer.handle);
    }
    return undefined;
  }
}

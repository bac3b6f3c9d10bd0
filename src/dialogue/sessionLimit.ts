/**
 * The call's maximum length (SessionTimeout, spec §3.1; a reply's `session_timeout`, §4.4): one
 * timer from the answer. A reply moves the limit but not its start — both count the whole call.
 * Owns its timer: `close()` clears it.
 */

import type { Clock, TimerHandle } from '../clock/clock.js';

export class SessionLimit {
  readonly #time: Clock;
  readonly #onExpired: () => void;
  /** When the clock started (the answer). */
  #startedAt = 0;
  #timer: TimerHandle | undefined;

  constructor(time: Clock, onExpired: () => void) {
    this.#time = time;
    this.#onExpired = onExpired;
  }

  /** The call is answered: it may last `limitMs` from now. */
  start(limitMs: number): void {
    this.#startedAt = this.#time.now();
    this.#arm(limitMs);
  }

  /**
   * A reply's `session_timeout`: the call may last `seconds` from the answer. False when that is
   * already past — the caller ends the call now; the timer is then left as it was.
   */
  moveTo(seconds: number): boolean {
    const left = this.#startedAt + seconds * 1000 - this.#time.now();
    if (left <= 0) return false;
    this.#arm(left);
    return true;
  }

  close(): void {
    if (this.#timer !== undefined) this.#time.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.close();
    this.#timer = this.#time.setTimer(() => {
      this.#timer = undefined;
      this.#onExpired();
    }, ms);
  }
}

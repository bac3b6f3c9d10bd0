import type { Timer, Timers } from './timers.js';

/**
 * RFC 4028 session timer for one dialog. When we are the refresher, `onRefresh` fires at half the
 * interval (§7.4, §9); otherwise `onExpire` fires when no refresh came in time: interval minus
 * min(32 s, interval/3) (§10). Every successful refresh restarts it. It owns one timer at most.
 */
export class SessionTimer {
  readonly #timers: Timers;
  readonly #onRefresh: () => void;
  readonly #onExpire: () => void;
  #timer: Timer | undefined;
  #interval = 0;
  #weRefresh = false;

  constructor(timers: Timers, onRefresh: () => void, onExpire: () => void) {
    this.#timers = timers;
    this.#onRefresh = onRefresh;
    this.#onExpire = onExpire;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Current interval in seconds (0 when not running). */
  get interval(): number {
    return this.#timer ? this.#interval : 0;
  }

  get weRefresh(): boolean {
    return this.#weRefresh;
  }

  /** (Re)starts the timer after a session (re)negotiation. */
  start(intervalSeconds: number, weRefresh: boolean): void {
    this.stop();
    this.#interval = intervalSeconds;
    this.#weRefresh = weRefresh;
    if (weRefresh) {
      this.#timer = this.#timers.set((intervalSeconds * 1000) / 2, () => {
        this.#timer = undefined;
        this.#onRefresh();
      });
    } else {
      const margin = Math.min(32, intervalSeconds / 3);
      this.#timer = this.#timers.set((intervalSeconds - margin) * 1000, () => {
        this.#timer = undefined;
        this.#onExpire();
      });
    }
  }

  stop(): void {
    this.#timer = this.#timers.clear(this.#timer);
  }
}

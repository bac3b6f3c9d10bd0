/**
 * Login rate limiting per user name and client address: after `maxFailures` wrong passwords within
 * `windowMs`, that pair is refused until the oldest failure leaves the window. A success clears the
 * pair. Bounded: the least recently failed pairs are forgotten beyond `maxEntries`.
 */
import type { Clock } from '../clock/clock.js';

export interface LoginLimiterOptions {
  clock: Clock;
  maxFailures?: number;
  windowMs?: number;
  maxEntries?: number;
}

export class LoginLimiter {
  readonly #clock: Clock;
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxEntries: number;
  readonly #failures = new Map<string, number[]>();

  constructor(options: LoginLimiterOptions) {
    this.#clock = options.clock;
    this.#max = options.maxFailures ?? 5;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /** Milliseconds until this pair may try again; 0 when it may now. */
  retryAfterMs(name: string, address: string): number {
    const times = this.#recent(name, address);
    if (times.length < this.#max) return 0;
    return Math.max(1, Math.ceil(times[0]! + this.#windowMs - this.#clock.now()));
  }

  failed(name: string, address: string): void {
    const key = keyOf(name, address);
    const times = this.#recent(name, address);
    times.push(this.#clock.now());
    this.#failures.delete(key);
    this.#failures.set(key, times.slice(-this.#max));
    if (this.#failures.size > this.#maxEntries) this.#failures.delete(this.#failures.keys().next().value!);
  }

  succeeded(name: string, address: string): void {
    this.#failures.delete(keyOf(name, address));
  }

  #recent(name: string, address: string): number[] {
    const since = this.#clock.now() - this.#windowMs;
    return (this.#failures.get(keyOf(name, address)) ?? []).filter((t) => t > since);
  }
}

const keyOf = (name: string, address: string) => `${name.toLowerCase()}\u0000${address}`;

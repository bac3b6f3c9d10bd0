/**
 * Per-account request throttling: a token bucket per account holding at most one second of its
 * rate, refilled continuously. Past the rate, requests are answered `Throttling.User`.
 */
export class AccountThrottle {
  readonly #buckets = new Map<number, { tokens: number; last: number }>();

  /** True if the request may pass; `rate` is requests per second. */
  take(accountId: number, rate: number, now: number): boolean {
    let b = this.#buckets.get(accountId);
    if (!b) {
      b = { tokens: rate, last: now };
      this.#buckets.set(accountId, b);
    } else {
      b.tokens = Math.min(rate, b.tokens + ((now - b.last) * rate) / 1000);
      b.last = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

/**
 * Clock window and nonce memory (spec §8.4, §10 Q11). Nonces are remembered per AccessKey in
 * one-minute buckets: lookups touch at most ttl/60 s + 1 small sets, and expiry drops whole buckets
 * instead of scanning entries, so memory stays proportional to the last `ttl` of traffic.
 */
/**
 * Where signature nonces are remembered: this process (ReplayGuard) or Redis shared by the API
 * nodes (SharedNonces). A shared memory may answer later, hence the promise.
 */
export interface NonceMemory {
  /** Records the nonce; false when the same AccessKey used it within the TTL. */
  useNonce(accessKeyId: string, nonce: string, now: number): boolean | Promise<boolean>;
}

/** One remembered nonce and until when it must be remembered (epoch ms). */
export interface RememberedNonce {
  accessKeyId: string;
  nonce: string;
  until: number;
}

export class ReplayGuard implements NonceMemory {
  readonly #skewMs: number;
  readonly #ttlMs: number;
  readonly #bucketMs = 60_000;
  readonly #bucketCount: number;
  /** bucket start (ms) → "accessKeyId\nnonce" keys first seen in that minute. */
  readonly #buckets = new Map<number, Set<string>>();

  constructor(options: { clockSkewSeconds: number; nonceTtlSeconds: number }) {
    this.#skewMs = options.clockSkewSeconds * 1000;
    this.#ttlMs = options.nonceTtlSeconds * 1000;
    this.#bucketCount = Math.ceil((options.nonceTtlSeconds * 1000) / this.#bucketMs) + 1;
  }

  /** True when `timestampMs` lies within the allowed distance from `now`. */
  timestampFresh(timestampMs: number, now: number): boolean {
    return Math.abs(now - timestampMs) <= this.#skewMs;
  }

  /** Records the nonce; false when the same AccessKey used it within the TTL. */
  useNonce(accessKeyId: string, nonce: string, now: number): boolean {
    const key = accessKeyId + '\n' + nonce;
    const current = now - (now % this.#bucketMs);
    const oldest = current - (this.#bucketCount - 1) * this.#bucketMs;
    for (const [start, set] of this.#buckets) {
      if (start < oldest) this.#buckets.delete(start);
      else if (set.has(key)) return false;
    }
    let bucket = this.#buckets.get(current);
    if (!bucket) {
      bucket = new Set();
      this.#buckets.set(current, bucket);
    }
    bucket.add(key);
    return true;
  }

  /**
   * The nonces still remembered at `now`, each with the latest time it may have to be remembered
   * until (its bucket's end plus the TTL): what a shared memory that lost them is given back.
   */
  *remembered(now: number): Generator<RememberedNonce> {
    for (const [start, set] of this.#buckets) {
      const until = start + this.#bucketMs + this.#ttlMs;
      if (until <= now) continue;
      for (const key of set) {
        const cut = key.indexOf('\n');
        yield { accessKeyId: key.slice(0, cut), nonce: key.slice(cut + 1), until };
      }
    }
  }

  /** Remembered nonces (for metrics and tests). */
  get size(): number {
    let n = 0;
    for (const set of this.#buckets.values()) n += set.size;
    return n;
  }
}

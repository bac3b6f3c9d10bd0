/**
 * Admission on API nodes sharing Redis: the nonce and the throttle's buckets in one round trip (one
 * script: `SET nonce NX`, and only when it was new, the token buckets of SharedThrottle), instead of
 * one round trip for each. This node's ReplayGuard stays in front (a replay to the same node costs
 * no round trip) and, with this node's own buckets, decides alone while Redis is unreachable, as
 * SharedNonces and SharedThrottle do; after a Redis restart the nonces this node remembers are
 * written back (SharedNonces); so are, once Redis answers again, the nonces of requests answered
 * alone while it was slow (SharedThrottle).
 */
import type { RedisConnection } from '../cluster/redisConnection.js';
import { type Admission, type AdmissionRequest, type AdmissionVerdict, NONCE_USED } from './admission.js';
import type { ReplayGuard } from './replayGuard.js';
import { SharedNonces } from './sharedNonces.js';
import { SharedThrottle } from './sharedThrottle.js';

export interface SharedAdmissionOptions {
  redis: RedisConnection;
  /** This node's nonce memory: checked first, and alone while Redis is down. */
  local: ReplayGuard;
  nonceTtlSeconds: number;
  /** The clock `remembered` is read with when nonces are written back. */
  now: () => number;
}

export class SharedAdmission implements Admission {
  readonly #local: ReplayGuard;
  readonly #nonces: SharedNonces;
  readonly #throttle: SharedThrottle;
  readonly #nonceTtlMs: number;

  constructor(options: SharedAdmissionOptions) {
    this.#local = options.local;
    this.#nonces = new SharedNonces(options);
    this.#throttle = new SharedThrottle(options.redis, {
      missed: (key, ttlMs) => this.#nonces.missed(key, ttlMs),
    });
    this.#nonceTtlMs = options.nonceTtlSeconds * 1000;
  }

  admit(r: AdmissionRequest): AdmissionVerdict | Promise<AdmissionVerdict> {
    if (!this.#local.useNonce(r.accessKeyId, r.nonce, r.now)) return NONCE_USED;
    return this.#throttle.takeWithNonce(
      { key: this.#nonces.key(r.accessKeyId, r.nonce), ttlMs: this.#nonceTtlMs },
      r.accountId,
      r.accountRate,
      r.action,
      r.apiRate,
      r.now,
    );
  }

  /** Requests waiting for Redis (queued, or in a call out). */
  get waiting(): number {
    return this.#throttle.waiting;
  }
}

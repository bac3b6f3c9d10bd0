/**
 * Signature nonces shared by the API nodes through Redis (`SET key 1 NX PX ttl`): a request
 * replayed through another node is refused with `SignatureNonceUsed`, as on the node that saw it.
 *
 * This node's own ReplayGuard stays in front: it answers a replay to the same node without a round
 * trip, and it is what decides while Redis is unreachable (fail open to this node's memory, logged:
 * the replay window of a nonce is short and signed by a key the caller must hold, whereas refusing
 * every request while Redis restarts would take the whole API down). When Redis comes back, every
 * nonce this node still remembers is written back (`NX`, with what is left of its TTL), so a Redis
 * restart loses no nonce that a live node has seen.
 *
 * The gateway's own path (SharedAdmission) writes the nonce in the throttle's script instead of
 * `useNonce`, under the same key (`key`), and relies on this class for the write-back.
 */
import type { RedisConnection } from '../cluster/redisConnection.js';
import type { NonceMemory, ReplayGuard } from './replayGuard.js';

export interface SharedNoncesOptions {
  redis: RedisConnection;
  /** This node's memory: checked first, and alone while Redis is down. */
  local: ReplayGuard;
  nonceTtlSeconds: number;
  /** The clock `remembered` is read with when nonces are written back. */
  now: () => number;
}

/** Nonces written back per round trip after a reconnection. */
const WRITE_BACK_BATCH = 1000;

export class SharedNonces implements NonceMemory {
  readonly #redis: RedisConnection;
  readonly #local: ReplayGuard;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #prefix: string;

  constructor(options: SharedNoncesOptions) {
    this.#redis = options.redis;
    this.#local = options.local;
    this.#ttlMs = options.nonceTtlSeconds * 1000;
    this.#now = options.now;
    this.#prefix = `${options.redis.keyPrefix}nonce:`;
    options.redis.onReady(() => {
      this.writeBack().catch((err: unknown) => this.#redis.failed('nonce write-back', err));
    });
  }

  useNonce(accessKeyId: string, nonce: string, now: number): boolean | Promise<boolean> {
    if (!this.#local.useNonce(accessKeyId, nonce, now)) return false;
    if (!this.#redis.up) return true;
    return this.#redis.client.set(this.key(accessKeyId, nonce), '1', 'PX', this.#ttlMs, 'NX').then(
      (reply) => reply === 'OK',
      (err: unknown) => {
        this.#redis.failed('nonce', err);
        return true;
      },
    );
  }

  /** Writes every nonce this node remembers back to Redis (after Redis lost them). */
  async writeBack(): Promise<number> {
    const now = this.#now();
    let batch = this.#redis.client.pipeline();
    let queued = 0;
    let written = 0;
    for (const n of this.#local.remembered(now)) {
      batch.set(this.key(n.accessKeyId, n.nonce), '1', 'PX', Math.ceil(n.until - now), 'NX');
      if (++queued === WRITE_BACK_BATCH) {
        await batch.exec();
        written += queued;
        batch = this.#redis.client.pipeline();
        queued = 0;
      }
    }
    if (queued > 0) await batch.exec();
    return written + queued;
  }

  /** The Redis key of a nonce (SharedAdmission records it in its own script). */
  key(accessKeyId: string, nonce: string): string {
    return `${this.#prefix}${accessKeyId}:${nonce}`;
  }
}

/**
 * Signature nonces shared by the API nodes through Redis (`SET key 1 NX PX ttl`): a request
 * replayed through another node is refused with `SignatureNonceUsed`, as on the node that saw it.
 *
 * This node's own ReplayGuard stays in front: it answers a replay to the same node without a round
 * trip, and it is what decides while Redis is unreachable (fail open to this node's memory, logged:
 * the replay window of a nonce is short and signed by a key the caller must hold, whereas refusing
 * every request while Redis restarts would take the whole API down). When Redis comes back, every
 * nonce this node still remembers is written back (`NX`, with what is left of its TTL), so a Redis
 * restart loses no nonce that a live node has seen. A nonce this node admitted without Redis
 * recording it while Redis was connected but slow (a timed-out command, a back-off, a full queue:
 * `missed`) is queued and written the same way as soon as Redis answers again, so a replay through
 * another node is refused from then on; past MAX_UNSYNCED such nonces, every remembered nonce is
 * written back instead.
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
/** Nonces queued for the write-back at most (beyond: every remembered nonce is written back). */
const MAX_UNSYNCED = 100_000;

export class SharedNonces implements NonceMemory {
  readonly #redis: RedisConnection;
  readonly #local: ReplayGuard;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #prefix: string;
  /** Nonces admitted while Redis did not record them: key → until (ms, `now`'s clock). */
  #unsynced = new Map<string, number>();
  /** More than MAX_UNSYNCED were missed: the next write-back writes every remembered nonce. */
  #overflow = false;
  #writing = false;

  constructor(options: SharedNoncesOptions) {
    this.#redis = options.redis;
    this.#local = options.local;
    this.#ttlMs = options.nonceTtlSeconds * 1000;
    this.#now = options.now;
    this.#prefix = `${options.redis.keyPrefix}nonce:`;
    options.redis.onReady(() => {
      // Every remembered nonce is written: the queued ones with them.
      this.#unsynced = new Map();
      this.#overflow = false;
      this.writeBack().catch((err: unknown) => this.#redis.failed('nonce write-back', err));
    });
    options.redis.onAnswered(() => {
      if (this.#unsynced.size > 0 || this.#overflow) void this.#writeUnsynced();
    });
  }

  /** A nonce this node admitted that Redis may not have recorded: written once Redis answers. */
  missed(key: string, ttlMs: number): void {
    if (this.#overflow) return;
    if (this.#unsynced.size >= MAX_UNSYNCED) {
      this.#overflow = true;
      this.#unsynced = new Map();
      return;
    }
    this.#unsynced.set(key, this.#now() + ttlMs);
  }

  async #writeUnsynced(): Promise<void> {
    if (this.#writing || !this.#redis.up) return;
    this.#writing = true;
    const unsynced = this.#unsynced;
    const overflow = this.#overflow;
    this.#unsynced = new Map();
    this.#overflow = false;
    try {
      if (overflow) await this.writeBack();
      else {
        const now = this.#now();
        const batch = this.#redis.client.pipeline();
        for (const [key, until] of unsynced)
          if (until > now) batch.set(key, '1', 'PX', Math.ceil(until - now), 'NX');
        const results = await batch.exec();
        const failed = results?.find(([err]) => err);
        if (failed) throw failed[0];
      }
    } catch (err) {
      this.#redis.failed('nonce write-back', err);
      // Tried again after the next answer.
      if (overflow) this.#overflow = true;
      else for (const [key, until] of unsynced) if (!this.#unsynced.has(key)) this.#unsynced.set(key, until);
    } finally {
      this.#writing = false;
    }
  }

  useNonce(accessKeyId: string, nonce: string, now: number): boolean | Promise<boolean> {
    if (!this.#local.useNonce(accessKeyId, nonce, now)) return false;
    const key = this.key(accessKeyId, nonce);
    if (!this.#redis.up) {
      this.missed(key, this.#ttlMs);
      return true;
    }
    return this.#redis.client.set(key, '1', 'PX', this.#ttlMs, 'NX').then(
      (reply) => {
        this.#redis.answered();
        return reply === 'OK';
      },
      (err: unknown) => {
        this.#redis.failed('nonce', err);
        this.missed(key, this.#ttlMs);
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

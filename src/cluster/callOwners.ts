/**
 * CallId → the node that owns the call (its SIP dialog and media), in Redis: `call:<CallId>` holds
 * the node ID with a TTL the owner refreshes while the call lives (each heartbeat), so an API node
 * can reach the owner of any call, a call whose node died stops being routed there within one TTL,
 * and a Redis restart is repaired by the owners' next heartbeat.
 */
import type { RedisConnection } from './redisConnection.js';

/** Deletes the key only while `nodeId` still owns it (another node may have taken the call over). */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

interface WithRelease {
  smartcallReleaseCall(key: string, nodeId: string): Promise<number>;
}

export class CallOwners {
  readonly #redis: RedisConnection;
  readonly #prefix: string;

  constructor(redis: RedisConnection) {
    this.#redis = redis;
    this.#prefix = `${redis.keyPrefix}call:`;
    redis.client.defineCommand('smartcallReleaseCall', { numberOfKeys: 1, lua: RELEASE });
  }

  /** Marks `nodeId` as the owner of these calls for `ttlMs` more (one round trip for all). */
  async hold(callIds: Iterable<string>, nodeId: string, ttlMs: number): Promise<void> {
    const batch = this.#redis.client.pipeline();
    let n = 0;
    for (const callId of callIds) {
      batch.set(this.#prefix + callId, nodeId, 'PX', ttlMs);
      n++;
    }
    if (n === 0) return;
    const replies = await batch.exec();
    const failed = replies?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  /** The call ended on `nodeId`: forget it now (unless another node owns it since). */
  async release(callId: string, nodeId: string): Promise<boolean> {
    const client = this.#redis.client as unknown as WithRelease;
    return (await client.smartcallReleaseCall(this.#prefix + callId, nodeId)) === 1;
  }

  /** The node that owns the call, or undefined when no live node holds it. */
  async owner(callId: string): Promise<string | undefined> {
    return (await this.#redis.client.get(this.#prefix + callId)) ?? undefined;
  }
}

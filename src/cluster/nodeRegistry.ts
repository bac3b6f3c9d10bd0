/**
 * Which nodes are alive, in Redis: each node writes its card (`node:<nodeId>`, JSON) with a TTL a
 * few heartbeats long, so a node that dies drops out by itself and a Redis restart is repaired by
 * the next heartbeat. Nothing here is the source of truth for calls: PostgreSQL/SQLite is.
 */
import type { RedisConnection } from './redisConnection.js';

export type NodeRole = 'all' | 'api' | 'scheduler' | 'media' | 'receipts';

/** What a node says about itself on each heartbeat. */
export interface NodeCard {
  nodeId: string;
  role: NodeRole;
  /** `host:port` its SIP user agent listens on (UDP); empty for a node without SIP. */
  sipAddress: string;
  /** Calls it may carry at once. */
  capacity: number;
  /** Calls it carries now. */
  calls: number;
  /** A media node's internal endpoint (`http://host:port`): operations on its calls go there. */
  internalUrl?: string;
  /**
   * A media node's name in the call queue, while it takes new calls (absent while it drains or is
   * fenced): the scheduler assigns calls to it under this name.
   */
  queue?: string;
  /** A scheduler's state: `active` (places calls) or `standby`. */
  state?: 'active' | 'standby';
  /** When it started and when it last reported (epoch ms). */
  startedAt: number;
  seenAt: number;
}

export class NodeRegistry {
  readonly #redis: RedisConnection;
  readonly #prefix: string;

  constructor(redis: RedisConnection) {
    this.#redis = redis;
    this.#prefix = `${redis.keyPrefix}node:`;
  }

  /** Writes (or refreshes) a node's card; it lapses after `ttlMs` without another. */
  async heartbeat(card: NodeCard, ttlMs: number): Promise<void> {
    await this.#redis.client.set(this.#prefix + card.nodeId, JSON.stringify(card), 'PX', ttlMs);
  }

  /** Removes a node's card at once (a clean stop), rather than waiting for its TTL. */
  async remove(nodeId: string): Promise<void> {
    await this.#redis.client.del(this.#prefix + nodeId);
  }

  /** One live node's card, or undefined when it is not (or no longer) registered. */
  async get(nodeId: string): Promise<NodeCard | undefined> {
    const text = await this.#redis.client.get(this.#prefix + nodeId);
    if (text === null) return undefined;
    try {
      return JSON.parse(text) as NodeCard;
    } catch {
      return undefined;
    }
  }

  /** The live nodes, by node ID. */
  async list(): Promise<NodeCard[]> {
    const client = this.#redis.client;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${this.#prefix}*`, 'COUNT', 200);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length === 0) return [];
    const cards: NodeCard[] = [];
    for (const text of await client.mget(...keys)) {
      if (text === null) continue; // lapsed between SCAN and MGET
      try {
        cards.push(JSON.parse(text) as NodeCard);
      } catch {
        // not ours (another program under the same prefix): skipped
      }
    }
    return cards.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }
}

/**
 * A node's heartbeat into Redis: every `intervalMs` its card (NodeRegistry) and the ownership of
 * each call it carries (CallOwners), both with a TTL of three beats, so a dead node and its calls
 * drop out within three beats. A beat goes out at once when Redis comes back, so a Redis restart
 * is repaired within a round trip. While Redis is down beats are skipped; a failed beat is logged
 * (at most every 10 s by the connection).
 */
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { CallOwners } from './callOwners.js';
import type { NodeCard, NodeRegistry } from './nodeRegistry.js';
import type { RedisConnection } from './redisConnection.js';

export interface NodeHeartbeatOptions {
  redis: RedisConnection;
  registry: NodeRegistry;
  owners: CallOwners;
  /** The card as it is now (startedAt and seenAt are filled in here). */
  card: () => Omit<NodeCard, 'startedAt' | 'seenAt'>;
  /** The CallIds this node carries now. */
  liveCalls: () => Iterable<string>;
  clock: Clock;
  /** Default 2000 ms; cards and call ownerships last three beats. */
  intervalMs?: number;
}

export class NodeHeartbeat {
  readonly #o: NodeHeartbeatOptions;
  readonly #intervalMs: number;
  readonly #startedAt: number;
  #timer: TimerHandle | undefined;
  #inFlight: Promise<void> | undefined;
  #running = false;
  #nodeId: string | undefined;

  constructor(options: NodeHeartbeatOptions) {
    this.#o = options;
    this.#intervalMs = options.intervalMs ?? 2000;
    this.#startedAt = Math.round(options.clock.now());
    options.redis.onReady(() => {
      if (this.#running) this.#beat();
    });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#beat();
  }

  /** Stops beating and removes the card (the calls' ownerships lapse with their TTL). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#o.clock.clearTimer(this.#timer);
    await this.#inFlight;
    if (this.#nodeId !== undefined && this.#o.redis.up) {
      await this.#o.registry.remove(this.#nodeId).catch((err: unknown) => this.#o.redis.failed('node', err));
    }
  }

  #beat(): void {
    this.#o.clock.clearTimer(this.#timer);
    this.#timer = this.#o.clock.setTimer(() => this.#beat(), this.#intervalMs);
    if (!this.#o.redis.up || this.#inFlight) return;
    this.#inFlight = this.#send()
      .catch((err: unknown) => this.#o.redis.failed('heartbeat', err))
      .finally(() => {
        this.#inFlight = undefined;
      });
  }

  async #send(): Promise<void> {
    const ttlMs = this.#intervalMs * 3;
    const card: NodeCard = {
      ...this.#o.card(),
      startedAt: this.#startedAt,
      seenAt: Math.round(this.#o.clock.now()),
    };
    this.#nodeId = card.nodeId;
    await Promise.all([
      this.#o.registry.heartbeat(card, ttlMs),
      this.#o.owners.hold(this.#o.liveCalls(), card.nodeId, ttlMs),
    ]);
  }
}

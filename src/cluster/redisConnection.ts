/**
 * The one Redis connection of a node (ioredis), set up for state that is short-lived and shared:
 * a command never waits for a connection that is not there (no offline queue, no retry of a
 * command, a short command timeout), so a request is never held up by a Redis outage; the callers
 * fall back to this node's own memory instead. The connection itself retries for ever (at most one
 * attempt a second). Each outage is logged once, with its cause, and the return once; `onReady`
 * listeners run on every (re)connection, so what a restart lost can be written back.
 */
import { Redis } from 'ioredis';
import { type Clock, systemClock } from '../clock/clock.js';
import { within } from '../clock/within.js';
import type { Logger } from '../observability/logger.js';

export interface RedisConnectionOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://…` (TLS). */
  url: string;
  /** Prepended to every key (`smartcall:`). */
  keyPrefix: string;
  log: Logger;
  /** A command not answered within this long fails (and the caller falls back). Default 500 ms. */
  commandTimeoutMs?: number;
  clock?: Clock;
}

/** How often a failing command is logged at most, while the connection itself looks up. */
const FAILURE_LOG_MS = 10_000;

export class RedisConnection {
  readonly client: Redis;
  readonly keyPrefix: string;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #readyListeners: (() => void)[] = [];
  /** Since when Redis is unreachable (undefined while it answers). */
  #downSince: number | undefined;
  #lastFailureLog = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(options: RedisConnectionOptions) {
    this.keyPrefix = options.keyPrefix;
    this.#log = options.log;
    this.#clock = options.clock ?? systemClock;
    this.client = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
      connectTimeout: 2000,
      enableAutoPipelining: true,
      connectionName: 'smartcall',
      retryStrategy: (times) => Math.min(100 * times, 1000),
    });
    this.client.on('ready', () => this.#ready());
    this.client.on('error', (err: Error) => this.#down(err.message));
    this.client.on('close', () => this.#down('connection closed'));
  }

  /** True while commands can be sent. */
  get up(): boolean {
    return this.client.status === 'ready';
  }

  /** `fn` runs on every (re)connection, e.g. to write back what a Redis restart lost. */
  onReady(fn: () => void): void {
    this.#readyListeners.push(fn);
  }

  /**
   * Connects, waiting at most `waitMs`. False when Redis did not answer in time: the node starts
   * anyway on its own memory, and the connection keeps trying in the background.
   */
  async connect(waitMs = 2000): Promise<boolean> {
    const attempt = this.client.connect().catch(() => undefined);
    await within(attempt, waitMs, this.#clock);
    return this.up;
  }

  /** A command failed (timeout, connection lost mid-way): logged at most every 10 s. */
  failed(what: string, err: unknown): void {
    const now = this.#clock.now();
    if (now - this.#lastFailureLog < FAILURE_LOG_MS) return;
    this.#lastFailureLog = now;
    this.#log.warn({ what, cause: (err as Error).message }, 'redis command failed: this node decides alone');
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.client.status === 'ready') {
      const quit = this.client.quit().catch(() => undefined);
      if (await within(quit, 1000, this.#clock)) return;
    }
    this.client.disconnect();
  }

  #ready(): void {
    if (this.#downSince !== undefined) {
      this.#log.info(
        { downMs: Math.round(this.#clock.now() - this.#downSince) },
        'redis reachable again: nonces and QPS are shared again',
      );
    } else this.#log.info('redis connected');
    this.#downSince = undefined;
    for (const fn of this.#readyListeners) {
      try {
        fn();
      } catch (err) {
        this.#log.error({ err }, 'redis ready listener failed');
      }
    }
  }

  #down(cause: string): void {
    if (this.#closed || this.#downSince !== undefined) return;
    this.#downSince = this.#clock.now();
    this.#log.warn(
      { cause },
      'redis unreachable: nonces and QPS are checked by this node alone until it is back',
    );
  }
}

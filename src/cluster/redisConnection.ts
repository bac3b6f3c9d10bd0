/**
 * The one Redis connection of a node (ioredis), set up for state that is short-lived and shared:
 * a command never waits for a connection that is not there (no offline queue, no retry of a
 * command, a short command timeout), so a request is never held up by a Redis outage; the callers
 * fall back to this node's own memory instead. The connection itself retries for ever (at most one
 * attempt a second). Each outage is logged once, with its cause, and the return once; `onReady`
 * listeners run on every (re)connection, so what a restart lost can be written back.
 *
 * A Redis that is connected but does not answer (a long script, a fork stall, a paused VM) counts
 * as down too: after STALL_FAILURES failed commands in a row, `up` is false for STALL_BACKOFF_MS
 * (logged once, like an outage), then one command tries again. After a failed command a PING
 * follows a back-off later (so Redis is tried again with no traffic). `onAnswered` listeners run after
 * every command that was answered (`answered()`), so what was decided alone meanwhile can be sent.
 */
import { Redis } from 'ioredis';
import { type Clock, systemClock, type TimerHandle } from '../clock/clock.js';
import { within } from '../clock/within.js';
import type { Logger } from '../observability/logger.js';

/** The name SharedThrottle defines its script under (sent outside ioredis's auto-pipeline). */
export const THROTTLE_SCRIPT = 'smartcallThrottleTake';

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
/** Failed commands in a row (timeouts mostly) after which a connected Redis counts as down… */
export const STALL_FAILURES = 3;
/** …for this long; then the next command tries it again. */
export const STALL_BACKOFF_MS = 1000;

export class RedisConnection {
  readonly client: Redis;
  readonly keyPrefix: string;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #readyListeners: (() => void)[] = [];
  readonly #answeredListeners: (() => void)[] = [];
  #failuresInRow = 0;
  /** Until when a connected Redis that stopped answering counts as down. */
  #stalledUntil = Number.NEGATIVE_INFINITY;
  /** True from the stall's log line until Redis answers again. */
  #stalled = false;
  #probe: TimerHandle | undefined;
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
      // ioredis sends one auto-pipeline at a time: the throttle's script calls (already one per
      // turn, SharedThrottle) go out on their own, so a slow one does not hold the next ones back.
      autoPipeliningIgnoredCommands: [THROTTLE_SCRIPT],
      connectionName: 'smartcall',
      retryStrategy: (times) => Math.min(100 * times, 1000),
    });
    this.client.on('ready', () => this.#ready());
    this.client.on('error', (err: Error) => this.#down(err.message));
    this.client.on('close', () => this.#down('connection closed'));
  }

  /** True while commands can be sent (connected, and not in a back-off after commands timed out). */
  get up(): boolean {
    return this.client.status === 'ready' && this.#clock.now() >= this.#stalledUntil;
  }

  /** The clock the connection's times are read with. */
  get clock(): Clock {
    return this.#clock;
  }

  /** `fn` runs after every answered command (`answered()`), e.g. to send what was decided alone. */
  onAnswered(fn: () => void): void {
    this.#answeredListeners.push(fn);
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

  /** A command was answered: Redis is no longer stalled (logged once), and listeners run. */
  answered(): void {
    this.#failuresInRow = 0;
    this.#stalledUntil = Number.NEGATIVE_INFINITY;
    if (this.#stalled) {
      this.#stalled = false;
      this.#log.info('redis answering again: nonces and QPS are shared again');
    }
    for (const fn of this.#answeredListeners) this.#run(fn, 'redis answered listener failed');
  }

  /**
   * A command failed (timeout, connection lost mid-way): logged at most every 10 s. After
   * STALL_FAILURES in a row on a live connection, Redis counts as down for STALL_BACKOFF_MS.
   */
  failed(what: string, err: unknown): void {
    const now = this.#clock.now();
    this.#armProbe();
    if (++this.#failuresInRow >= STALL_FAILURES && this.client.status === 'ready') {
      this.#stalledUntil = now + STALL_BACKOFF_MS;
      if (!this.#stalled) {
        this.#stalled = true;
        this.#lastFailureLog = now;
        this.#log.warn(
          { what, cause: (err as Error).message, failures: this.#failuresInRow, retryMs: STALL_BACKOFF_MS },
          'redis not answering: nonces and QPS are checked by this node alone until it answers again',
        );
        return;
      }
    }
    if (now - this.#lastFailureLog < FAILURE_LOG_MS) return;
    this.#lastFailureLog = now;
    this.#log.warn({ what, cause: (err as Error).message }, 'redis command failed: this node decides alone');
  }

  /** A PING a back-off after a failure: its answer (`answered`) ends a stall, with no traffic needed. */
  #armProbe(): void {
    if (this.#probe !== undefined || this.#closed) return;
    this.#probe = this.#clock.setTimer(() => {
      this.#probe = undefined;
      if (this.#closed || this.client.status !== 'ready' || this.#failuresInRow === 0) return;
      this.client.ping().then(
        () => this.answered(),
        (err: unknown) => this.failed('ping', err),
      );
    }, STALL_BACKOFF_MS);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#probe !== undefined) this.#clock.clearTimer(this.#probe);
    this.#probe = undefined;
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
    this.#failuresInRow = 0;
    this.#stalledUntil = Number.NEGATIVE_INFINITY;
    this.#stalled = false;
    for (const fn of this.#readyListeners) this.#run(fn, 'redis ready listener failed');
  }

  #run(fn: () => void, what: string): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err }, what);
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

/**
 * Pieces every kind of node (role all, media, …) builds the same way from its configuration, so a
 * setting means the same on each: the ordered shutdown, the network prompt file fetcher, the Redis
 * connection.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from './clock/clock.js';
import { within } from './clock/within.js';
import { RedisConnection } from './cluster/redisConnection.js';
import type { Config } from './config.js';
import { NetworkFiles } from './media-library/networkFiles.js';
import type { DnsResolver } from './net/dnsResolver.js';
import type { Logger } from './observability/logger.js';
import type { PgStore } from './store/postgres/pgStore.js';

/**
 * What every role but `all` gives `serve` once started: the store it runs on, its HTTP port if it
 * serves one, and how it drains and stops. No role but `all` makes a demo account or console login
 * (`serve`'s banner reads them as absent).
 */
export interface RunningNode {
  store: PgStore;
  httpPort: number | undefined;
  demo: undefined;
  consoleLogin: undefined;
  /** Takes no new work; resolves when the work in hand is done or `timeoutMs` is up. */
  drain(timeoutMs: number): Promise<{ left: number }>;
  close(): Promise<void>;
}

/** Things started so far, stopped in reverse order if a later step fails or on close. */
export class Shutdown {
  readonly #steps: { name: string; run: () => unknown }[] = [];
  add(name: string, run: () => unknown): void {
    this.#steps.push({ name, run });
  }
  async run(log: Logger): Promise<void> {
    for (const step of this.#steps.reverse()) {
      const t0 = systemClock.now();
      try {
        await step.run();
        log.debug({ step: step.name, ms: Math.round(systemClock.now() - t0) }, 'stopped');
      } catch (err) {
        log.error({ err, step: step.name }, 'error while stopping');
      }
    }
    this.#steps.length = 0;
  }
}

/** Network prompt files (VoiceCode URLs) as `media.*` configures them. */
export function networkFilesFor(config: Config, dns: DnsResolver): NetworkFiles {
  return new NetworkFiles({
    cacheDir: join(config.dataDir, 'network-files'),
    maxBytes: config.media.networkFileMaxBytes,
    timeoutMs: config.media.networkFileTimeoutMs,
    allowPrivate: config.media.allowPrivateUrls,
    allowlist: config.media.urlAllowlist,
    resolve: (host) => dns.resolve(host),
    ...(config.media.caFile !== undefined && { ca: readCaFile(config.media.caFile) }),
    freshMs: config.media.networkFileFreshSeconds * 1000,
  });
}

/** `media.caFile`, read once at start: a missing or empty file stops the start, naming the setting. */
function readCaFile(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`media.caFile ${path}: ${(err as Error).message}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`media.caFile ${path}: no PEM certificate in it`);
  return pem;
}

/** The Redis connection `redis.url` names (none without it), closed with the node. */
export async function connectRedis(
  config: Config,
  log: Logger,
  shutdown: Shutdown,
): Promise<RedisConnection | undefined> {
  if (config.redis.url === undefined) return undefined;
  const connection = new RedisConnection({
    url: config.redis.url,
    keyPrefix: config.redis.keyPrefix,
    log: log.child({ component: 'redis' }),
  });
  shutdown.add('redis', () => connection.close());
  await connection.connect();
  return connection;
}

/**
 * The end of a drain: waits up to `timeoutMs` for `ended` (the calls in progress over), then says
 * how many are left for `close()` to hang up.
 */
export async function awaitDrain(
  ended: Promise<unknown>,
  live: { readonly size: number },
  timeoutMs: number,
  log: Logger,
): Promise<{ left: number }> {
  const calls = live.size;
  if (await within(ended, timeoutMs, systemClock)) {
    log.info({ calls }, 'drained: every call has ended');
    return { left: 0 };
  }
  const left = live.size;
  log.warn({ left }, 'drain time is up: the calls still in progress are hung up');
  return { left };
}

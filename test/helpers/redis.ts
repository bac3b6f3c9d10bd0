/**
 * A private redis-server for one test file (Debian's `redis-server` package): its own temporary
 * folder, a free loopback port, no persistence unless asked (`--save ''`, `--appendonly no`).
 * `restart()` stops it and starts it again on the same port (what an operator's restart looks like
 * to clients); `stop()` stops it and removes the folder.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before } from 'node:test';
import { RedisConnection } from '../../src/cluster/redisConnection.js';
import { type Logger, silentLogger } from '../../src/observability/logger.js';
import { freePort } from './ports.js';
import { stopChild } from './sipPeers.js';
import { tempDir } from './tempDir.js';

export const REDIS_INSTALL_HINT =
  'redis-server is not installed: run `sh scripts/install-test-peers.sh` (Debian package `redis-server`)';

export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Stops the server (its data is gone unless `appendonly` was asked) and starts it on the same port. */
  restart(): Promise<void>;
  /** Stops the server without removing anything (for outage tests); `start()` brings it back. */
  halt(): Promise<void>;
  start(): Promise<void>;
  /** The server's log so far (all runs). */
  log(): string;
  stop(): Promise<void>;
}

export interface RedisOptions {
  /** Keep data across restarts with an append-only file in the server's folder. */
  appendonly?: boolean;
}

export function redisServerPath(): string {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (existsSync(p)) return p;
  throw new Error(REDIS_INSTALL_HINT);
}

export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const bin = redisServerPath();
  const dir = tempDir('smartcall-redis-');
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';
  const launch = async () => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir.path,
      '--save',
      '',
      '--appendonly',
      options.appendonly ? 'yes' : 'no',
      '--daemonize',
      'no',
      '--logfile',
      '',
      '--unixsocket',
      '',
    ];
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout!.on('data', (d) => {
      log += d;
    });
    c.stderr!.on('data', (d) => {
      log += d;
    });
    const deadline = Date.now() + 10_000;
    while (!(await pings(port))) {
      if (c.exitCode !== null) throw new Error(`redis-server exited (${c.exitCode}): ${log}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on ${port}:\n${log}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const halt = async () => {
    if (child) await stopChild(child);
    child = undefined;
  };
  try {
    await launch();
  } catch (err) {
    await halt();
    dir.remove();
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart() {
      await halt();
      await launch();
    },
    halt,
    start: launch,
    log: () => log,
    async stop() {
      await halt();
      dir.remove();
    },
  };
}

export interface RedisForFile {
  /** The running server (restart, halt, start…). */
  server(): TestRedis;
  /** A RedisConnection to it, connected (asserted), closed after the file's tests. */
  connection(options?: { keyPrefix?: string; log?: Logger }): Promise<RedisConnection>;
}

/**
 * A private redis-server for the test file that calls this: started before its tests; after them
 * every connection made through `connection()` is closed, then the server is stopped.
 */
export function redisForFile(): RedisForFile {
  let server: TestRedis | undefined;
  const connections: RedisConnection[] = [];
  before(async () => {
    server = await startRedis();
  });
  after(async () => {
    for (const c of connections) await c.close();
    await server?.stop();
  });
  const running = () => {
    if (!server) throw new Error('redis-server is not started yet');
    return server;
  };
  return {
    server: running,
    async connection({ keyPrefix = 'test:', log = silentLogger() } = {}) {
      const c = new RedisConnection({ url: running().url, keyPrefix, log });
      connections.push(c);
      assert.equal(await c.connect(), true, 'connected to redis-server');
      return c;
    },
  };
}

/** One PING over a raw connection: true on `+PONG`. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      answer += d;
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

/**
 * `npm run bench:api`: signed SmartCall requests per second through the whole gateway (V3
 * signature, validation, SQLite insert), against a bare Fastify hello-world measured in the same
 * run as the baseline; then p50/p99 latency at a fixed 1000 requests/s.
 *
 * The server runs in a child process (one core); the load generator in this one (bench/httpLoad.ts:
 * pre-serialised requests on keep-alive connections). The requests are signed before the clock
 * starts, each with its own nonce, so the generator measures the server, not its own HMACs. Accepted calls are counted in the database, not from status codes
 * (a business error is also HTTP 200). Last line: one JSON object with the figures.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite/sqliteStore.js';
import { SecretBox } from '../src/tenancy/secretBox.js';
import { TenancyAdmin } from '../src/tenancy/tenancyAdmin.js';
import { percentile, runLoad } from './httpLoad.js';
import { BENCH_DISPLAY_NUMBER, signedSmartCall } from './signedSmartCall.js';

const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const FIXED_RATE = 1000;
const CONNECTIONS = 32;

interface Server {
  child: ChildProcess;
  port: number;
}

async function startServer(args: string[]): Promise<Server> {
  // BENCH_SERVER_NODE_ARGS="--cpu-prof" profiles the server side.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, 'dist/bench/apiBenchServer.js', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  while (!out.includes('\n')) {
    if (child.exitCode !== null) throw new Error('bench server exited');
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, port: JSON.parse(out.split('\n')[0]!).port };
}

async function stopServer(s: Server): Promise<void> {
  const exited = once(s.child, 'exit');
  s.child.kill('SIGTERM');
  await exited;
}

const HELLO = Buffer.from('POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\n\r\n', 'latin1');

function load(port: number, seconds: number, next: () => Buffer | undefined, rate?: number) {
  return runLoad({ port, seconds, connections: rate ? 16 : CONNECTIONS, next, ...(rate && { rate }) });
}

function countCalls(dataDir: string): number {
  const store = SqliteStore.open(dataDir);
  try {
    return Object.values(store.calls.countByState()).reduce((a, b) => a + b, 0);
  } finally {
    store.close();
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'smartcall-bench-'));
  try {
    const store = SqliteStore.open(dataDir);
    const admin = new TenancyAdmin(store, SecretBox.fromKeyFile(dataDir));
    admin.createAccount({ name: 'bench', qps: 1_000_000 });
    admin.addNumber('bench', BENCH_DISPLAY_NUMBER);
    const key = admin.createKey('bench');
    store.close();

    // Baseline: the same HTTP server with nothing behind it.
    const hello = await startServer(['hello']);
    await load(hello.port, 1, () => HELLO); // warm-up
    const base = await load(hello.port, THROUGHPUT_SECONDS, () => HELLO);
    await stopServer(hello);
    const baselinePerSec = base.requests / base.seconds;
    console.log(
      `baseline hello-world: ${baselinePerSec.toFixed(0)} req/s (p99 ${percentile(base.latencies, 99).toFixed(1)} ms)`,
    );

    const server = await startServer(['smartcall', dataDir]);
    try {
      // Enough for 15000 accepted calls per second (far above this machine) plus the other phases.
      const total = 15_000 * (THROUGHPUT_SECONDS + 2) + FIXED_RATE * (LATENCY_SECONDS + 2);
      console.log(`signing ${total} requests...`);
      const requests: Buffer[] = [];
      for (let i = 0; i < total; i++) {
        requests.push(
          signedSmartCall({
            port: server.port,
            accessKeyId: key.accessKeyId,
            secret: key.accessKeySecret,
            i,
            record: true,
          }),
        );
      }
      let cursor = 0;
      const next = () => requests[cursor++];

      // warm-up (JIT, SQLite page cache), not counted
      await load(server.port, 2, next);
      const before = countCalls(dataDir);
      const started = process.hrtime.bigint();
      const full = await load(server.port, THROUGHPUT_SECONDS, next);
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
      const accepted = countCalls(dataDir) - before;
      const smartCallsPerSec = accepted / elapsed;
      console.log(
        `smartcall: ${smartCallsPerSec.toFixed(0)} accepted SmartCalls/s (${accepted} in ${elapsed.toFixed(1)} s; ` +
          `non-200 ${full.non200}, errors ${full.errors}), ${(smartCallsPerSec / baselinePerSec).toFixed(2)}× baseline`,
      );

      const fixed = await load(server.port, LATENCY_SECONDS, next, FIXED_RATE);
      const p50 = percentile(fixed.latencies, 50);
      const p99 = percentile(fixed.latencies, 99);
      console.log(
        `at ${FIXED_RATE} req/s: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${percentile(fixed.latencies, 100).toFixed(1)} ms ` +
          `(${(fixed.requests / fixed.seconds).toFixed(0)} req/s achieved, non-200 ${fixed.non200})`,
      );
      console.log(
        JSON.stringify({
          bench: 'api',
          smartCallsPerSec: Math.round(smartCallsPerSec),
          baselinePerSec: Math.round(baselinePerSec),
          p50Ms: Number(p50.toFixed(2)),
          p99Ms: Number(p99.toFixed(2)),
        }),
      );
    } finally {
      await stopServer(server);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

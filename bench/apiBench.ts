/**
 * `npm run bench:api`: signed SmartCall requests per second through the whole gateway (V3
 * signature, validation, SQLite insert), against a bare Fastify hello-world measured in the same
 * run as the baseline; then p50/p99 latency at a fixed 1000 requests/s.
 *
 * The server runs in a child process (one core); the load generator (autocannon) in this one. The
 * requests are signed before the clock starts, each with its own nonce, so the generator measures
 * the server, not its own HMACs. Accepted calls are counted in the database, not from status codes
 * (a business error is also HTTP 200). Last line: one JSON object with the figures.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { percentEncode } from '../src/openapi/percentEncoding.js';
import { sha256Hex, v3CanonicalRequest, v3Signature, v3StringToSign } from '../src/openapi/signatures.js';
import { SqliteStore } from '../src/store/sqlite/sqliteStore.js';
import { SecretBox } from '../src/tenancy/secretBox.js';
import { TenancyAdmin } from '../src/tenancy/tenancyAdmin.js';

const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const FIXED_RATE = 1000;
const CONNECTIONS = 32;
const DISPLAY_NUMBER = '057188880000';
const EMPTY_HASH = sha256Hex('');

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

interface SignedRequest {
  path: string;
  headers: Record<string, string>;
}

/** A SmartCall signed exactly as the official SDK signs it (V3, params in the query). */
function signedSmartCall(port: number, accessKeyId: string, secret: string, i: number): SignedRequest {
  const query: [string, string][] = [
    ['CalledNumber', `1590000${String(i % 10000).padStart(4, '0')}`],
    ['CalledShowNumber', DISPLAY_NUMBER],
    ['OutId', `bench-${i % 100000}`],
    ['RecordFlag', 'true'],
    ['VoiceCode', '$name$'],
    ['VoiceCodeParam', '{"name":"您好，这里是回访电话"}'],
  ];
  const headers: Record<string, string> = {
    host: `127.0.0.1:${port}`,
    'x-acs-action': 'SmartCall',
    'x-acs-version': '2017-05-25',
    'x-acs-date': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    'x-acs-signature-nonce': randomBytes(16).toString('hex'),
    'x-acs-content-sha256': EMPTY_HASH,
  };
  const signed = Object.keys(headers).sort();
  const sts = v3StringToSign(
    v3CanonicalRequest({
      method: 'POST',
      query,
      signedHeaders: signed,
      headerValue: (h) => headers[h],
      payloadHash: EMPTY_HASH,
    }),
  );
  headers.authorization = `ACS3-HMAC-SHA256 Credential=${accessKeyId},SignedHeaders=${signed.join(';')},Signature=${v3Signature(secret, sts)}`;
  headers.accept = 'application/json';
  const path = '/?' + query.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
  return { path, headers };
}

async function load(port: number, seconds: number, next: () => SignedRequest | undefined, rate?: number) {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    method: 'POST',
    connections: rate ? 16 : CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      {
        setupRequest: (req) => {
          const r = next();
          return r ? { ...req, path: r.path, headers: r.headers } : req;
        },
      },
    ],
  });
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
    admin.addNumber('bench', DISPLAY_NUMBER);
    const key = admin.createKey('bench');
    store.close();

    // Baseline: the same HTTP server with nothing behind it.
    const hello = await startServer(['hello']);
    const base = await load(hello.port, THROUGHPUT_SECONDS, () => undefined);
    await stopServer(hello);
    const baselinePerSec = base.requests.average;
    console.log(`baseline hello-world: ${baselinePerSec.toFixed(0)} req/s (p99 ${base.latency.p99} ms)`);

    const server = await startServer(['smartcall', dataDir]);
    try {
      const total =
        Math.ceil(Math.max(baselinePerSec, 10_000) * THROUGHPUT_SECONDS * 1.2) +
        FIXED_RATE * (LATENCY_SECONDS + 2);
      console.log(`signing ${total} requests...`);
      const requests: SignedRequest[] = [];
      for (let i = 0; i < total; i++)
        requests.push(signedSmartCall(server.port, key.accessKeyId, key.accessKeySecret, i));
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
          `non-2xx ${full.non2xx}, errors ${full.errors}), ${(smartCallsPerSec / baselinePerSec).toFixed(2)}× baseline`,
      );

      const fixed = await load(server.port, LATENCY_SECONDS, next, FIXED_RATE);
      console.log(
        `at ${FIXED_RATE} req/s: p50 ${fixed.latency.p50} ms, p99 ${fixed.latency.p99} ms, max ${fixed.latency.max} ms ` +
          `(${fixed.requests.average.toFixed(0)} req/s achieved, non-2xx ${fixed.non2xx})`,
      );
      console.log(
        JSON.stringify({
          bench: 'api',
          smartCallsPerSec: Math.round(smartCallsPerSec),
          baselinePerSec: Math.round(baselinePerSec),
          p50Ms: fixed.latency.p50,
          p99Ms: fixed.latency.p99,
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

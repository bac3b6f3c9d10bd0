/**
 * `smartcall serve --redis`: two API nodes, each with its own SQLite file (copies of one data
 * directory, so they know the same AccessKey), share signature nonces through a private
 * redis-server. A signed request replayed on the other node is refused with SignatureNonceUsed;
 * without Redis the other node accepts it. A Redis restart under them: requests keep working, the
 * outage is logged with its cause, and afterwards nonces used before and during it are refused on
 * the other node again. `smartcall admin nodes` lists both nodes from their heartbeats, again after
 * the restart. A URL that is not a Redis URL is refused before anything starts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import OpenApiUtil from '@alicloud/openapi-util';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { tempDir } from '../helpers/tempDir.js';
import { type Running, smartcall, smartcallAsync, start, stopAll } from './cliHarness.js';

const dir = tempDir('smartcall-serve-redis-');
const config = join(dir.path, 'smartcall.yaml');
writeFileSync(config, 'mode: standalone\ncalls: { dialer: false, trunkKeepAlive: false }\n');
const env = { ...process.env, SMARTCALL_MASTER_KEY: 'serve redis test master key 0123456789' };
const dataA = join(dir.path, 'a');
let key: { accessKeyId: string; accessKeySecret: string };
let redis: TestRedis;

before(async () => {
  redis = await startRedis();
  const base = ['--config', config, '--data-dir', dataA, '--json'];
  assert.equal(smartcall(['admin', 'account', 'create', '--name', 'acme', ...base], { env }).status, 0);
  key = smartcall(['admin', 'key', 'create', '--account', 'acme', ...base], { env }).json();
  assert.ok(key.accessKeySecret);
});
after(async () => {
  await stopAll();
  await redis.stop();
  dir.remove();
});

const started = (out: string) => /"msg":"smartcall started"/.test(out);
const startedLog = (node: Running) =>
  JSON.parse(
    node
      .output()
      .split('\n')
      .find((l) => l.includes('"smartcall started"'))!,
  ) as {
    port: number;
    sip: { address: string; port: number };
  };
const portOf = (node: Running) => startedLog(node).port;
const sipOf = (node: Running) => `${startedLog(node).sip.address}:${startedLog(node).sip.port}`;

/** `smartcall admin nodes --json` through the test's Redis: the node cards, by SIP address. */
async function listedNodes(): Promise<Map<string, { role: string; calls: number; capacity: number }>> {
  const r = await smartcallAsync(['admin', 'nodes', '--redis', redis.url, '--json'], { env });
  assert.equal(r.status, 0, r.stderr);
  const list = r.json() as { sipAddress: string; role: string; calls: number; capacity: number }[];
  return new Map(list.map((n) => [n.sipAddress, n]));
}

/** A node on a copy of data directory A; `redisVia` says how it is told where Redis is. */
async function serveNode(name: string, redisVia: 'flag' | 'env' | 'none'): Promise<Running> {
  const data = join(dir.path, name);
  cpSync(dataA, data, { recursive: true });
  const args = ['serve', '--config', config, '--data-dir', data, '--http-port', '0', '--sip-port', '0'];
  if (redisVia === 'flag') args.push('--redis', redis.url);
  const nodeEnv = redisVia === 'env' ? { ...env, SMARTCALL_REDIS_URL: redis.url } : env;
  return start(args, started, { env: nodeEnv, cwd: dir.path });
}

/** One V1 request signed by the official SDK's signing function; the same URL can be sent twice. */
function signedQuery(): string {
  const params: Record<string, string> = {
    Action: 'QueryCallDetailByCallId',
    CallId: '116012854210^102814279210',
    QueryDate: String(Date.now()),
    AccessKeyId: key.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomBytes(16).toString('hex'),
    Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    Version: '2017-05-25',
    Format: 'JSON',
  };
  // biome-ignore lint/suspicious/noExplicitAny: CJS interop of the SDK utility
  const util: any = (OpenApiUtil as any).default ?? OpenApiUtil;
  params.Signature = util.getRPCSignature(params, 'GET', key.accessKeySecret);
  return new URLSearchParams(params).toString();
}

async function send(node: Running, query: string): Promise<{ status: number; code: string }> {
  const res = await fetch(`http://127.0.0.1:${portOf(node)}/?${query}`);
  const body = (await res.json()) as { Code: string };
  return { status: res.status, code: body.Code };
}

test('with --redis (or SMARTCALL_REDIS_URL) a request replayed on the other node is refused; Redis restarts under them', async () => {
  const a = await serveNode('a1', 'flag');
  const b = await serveNode('b1', 'env');
  try {
    assert.match(a.output(), /"redis":"connected"/);
    assert.match(b.output(), /"redis":"connected"/);
    const q = signedQuery();
    const first = await send(a, q);
    assert.notEqual(first.code, 'SignatureNonceUsed', JSON.stringify(first));
    assert.deepEqual(await send(b, q), { status: 400, code: 'SignatureNonceUsed' }, 'replayed on node B');
    const q2 = signedQuery();
    assert.notEqual((await send(b, q2)).code, 'SignatureNonceUsed');
    assert.equal((await send(a, q2)).code, 'SignatureNonceUsed', 'replayed on node A');
    const nodes = await listedNodes();
    assert.deepEqual([...nodes.keys()].sort(), [sipOf(a), sipOf(b)].sort(), 'admin nodes lists both');
    assert.deepEqual(nodes.get(sipOf(a)), { ...nodes.get(sipOf(a)), role: 'all', calls: 0 });

    // Redis goes away: both nodes keep answering, each refusing its own replays.
    await redis.halt();
    const during = signedQuery();
    const whileDown = await send(a, during);
    assert.equal(whileDown.code, first.code, 'requests keep working while Redis is down');
    assert.equal((await send(a, during)).code, 'SignatureNonceUsed', 'node A still refuses its replay');
    await redis.start();
    const deadline = Date.now() + 10_000;
    while (!/redis reachable again/.test(a.output()) || !/redis reachable again/.test(b.output())) {
      if (Date.now() > deadline) throw new Error(`no reconnection:\n${a.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const down = a
      .output()
      .split('\n')
      .find((l) => l.includes('redis unreachable'));
    assert.ok(down && JSON.parse(down).cause, 'the outage is logged with its cause');
    // Written back by node A after the restart: used before and during the outage.
    const refusedOnB = async (query: string) => (await send(b, query)).code === 'SignatureNonceUsed';
    const waitUntil = Date.now() + 5000;
    while (!(await refusedOnB(during)) && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await refusedOnB(during), true, 'a nonce used during the outage is refused on node B');
    assert.equal(await refusedOnB(q), true, 'a nonce used before the restart is still refused');
    const after = signedQuery();
    assert.notEqual((await send(a, after)).code, 'SignatureNonceUsed');
    assert.equal(await refusedOnB(after), true, 'shared again after the restart');
    assert.equal((await listedNodes()).size, 2, 'the registry is rebuilt from heartbeats');
  } finally {
    assert.equal(await a.stop(), 0);
    assert.equal(await b.stop(), 0);
  }
  assert.equal((await listedNodes()).size, 0, 'a stopped node leaves the list at once');
});

test('without Redis each node remembers only its own nonces: the replay on the other node is accepted', async () => {
  const a = await serveNode('a2', 'none');
  const b = await serveNode('b2', 'none');
  try {
    assert.doesNotMatch(a.output(), /"redis"/);
    const q = signedQuery();
    const first = await send(a, q);
    assert.notEqual(first.code, 'SignatureNonceUsed');
    assert.equal((await send(b, q)).code, first.code);
    assert.equal((await send(a, q)).code, 'SignatureNonceUsed');
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('admin nodes without Redis, or with Redis unreachable, says so and exits 1', async () => {
  const none = smartcall(['admin', 'nodes', '--config', config, '--data-dir', dataA], { env });
  assert.equal(none.status, 1);
  assert.match(none.stderr, /admin nodes needs Redis: --redis <url>, SMARTCALL_REDIS_URL or redis\.url/);
  await redis.halt();
  try {
    const down = await smartcallAsync(['admin', 'nodes', '--redis', redis.url], { env });
    assert.equal(down.status, 1);
    assert.match(down.stderr, /Redis is unreachable: .*ECONNREFUSED/);
  } finally {
    await redis.start();
  }
});

test('a --redis that is not a Redis URL is refused with the setting named, exit 1', () => {
  const r = smartcall(
    ['serve', '--config', config, '--data-dir', join(dir.path, 'bad'), '--redis', 'http://127.0.0.1:6379'],
    { env },
  );
  assert.equal(r.status, 1);
  assert.match(r.stderr, /redis\.url.*redis:\/\/host:port/);
});

/**
 * The throttle's token buckets in a real redis-server, shared by two API nodes: the two together
 * answer exactly what one in-process throttle answers to the same requests (same verdicts, same
 * retry-after), buckets expire once full again, and while Redis is down each node throttles alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedThrottle } from '../../src/openapi/sharedThrottle.js';
import { RequestThrottle, type ThrottleVerdict } from '../../src/openapi/throttle.js';
import { redisForFile } from '../helpers/redis.js';

const redis = redisForFile();

const connection = () => redis.connection();

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACTIONS: [string, number | undefined][] = [
  ['SmartCall', 12],
  ['QueryCallDetailByCallId', 4],
  ['CancelCall', undefined],
];

test('two nodes sharing Redis answer exactly as one in-process throttle', async () => {
  const nodes = [new SharedThrottle(await connection()), new SharedThrottle(await connection())];
  const single = new RequestThrottle();
  const next = random(42);
  // A clock of its own, far from the other tests' accounts.
  let now = 1_700_000_000_000 + Math.floor(next() * 1e6);
  let passed = 0;
  let refusedUser = 0;
  let refusedApi = 0;
  for (let i = 0; i < 1500; i++) {
    now += Math.floor(next() * 40);
    const account = 900_000 + Math.floor(next() * 2);
    const [action, apiRate] = ACTIONS[Math.floor(next() * ACTIONS.length)]!;
    const node = nodes[i % 2]!;
    const shared = await node.take(account, 20, action, apiRate, now);
    const expected = single.take(account, 20, action, apiRate, now);
    assert.deepEqual(shared, expected, `request ${i}: ${action} of ${account} at +${now % 100000} ms`);
    if (expected.pass) passed++;
    else if (expected.limit === 'user') refusedUser++;
    else refusedApi++;
  }
  // The sequence exercises both limits, not just passes.
  assert.ok(passed > 500 && refusedUser > 20 && refusedApi > 100, `${passed} ${refusedUser} ${refusedApi}`);
});

test('a burst through two nodes gets exactly one second of the account rate', async () => {
  const nodes = [new SharedThrottle(await connection()), new SharedThrottle(await connection())];
  const now = 1_800_000_000_000;
  const verdicts = await Promise.all(
    Array.from({ length: 40 }, (_, i) => nodes[i % 2]!.take(900_010, 10, 'CancelCall', undefined, now)),
  );
  assert.equal(verdicts.filter((v) => v.pass).length, 10);
  const refused = verdicts.find((v) => !v.pass) as Extract<ThrottleVerdict, { pass: false }>;
  assert.deepEqual(refused, { pass: false, limit: 'user', retryAfterMs: 100 });
});

test('a bucket expires from Redis once it would be full again', async () => {
  const c = await connection();
  const t = new SharedThrottle(c);
  await t.take(900_020, 10, 'SmartCall', 5, 1_900_000_000_000);
  const ttl = await c.client.pttl('test:qps:{900020}');
  assert.ok(ttl > 1000 && ttl <= 2000, `account bucket expiry ${ttl} ms`);
  assert.ok((await c.client.pttl('test:qps:{900020}:SmartCall')) > 1000);
});

test('while Redis is down each node throttles alone, and it is shared again after a restart', async () => {
  const c = await connection();
  const t = new SharedThrottle(c);
  const now = 2_000_000_000_000;
  await redis.server().halt();
  try {
    const during: ThrottleVerdict[] = [];
    for (let i = 0; i < 12; i++) during.push(await t.take(900_030, 10, 'CancelCall', undefined, now));
    assert.equal(during.filter((v) => v.pass).length, 10, "this node's own bucket");
  } finally {
    await redis.server().start();
  }
  const deadline = Date.now() + 5000;
  while (!c.up) {
    if (Date.now() > deadline) throw new Error('no reconnection');
    await new Promise((r) => setTimeout(r, 20));
  }
  // The script cache was emptied by the restart: EVALSHA falls back to EVAL.
  const other = new SharedThrottle(await connection());
  assert.equal((await t.take(900_031, 1, 'CancelCall', undefined, now)).pass, true);
  assert.equal((await other.take(900_031, 1, 'CancelCall', undefined, now)).pass, false, 'shared again');
});

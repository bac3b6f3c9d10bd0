/**
 * Signature nonces shared by two API nodes through a real redis-server: a nonce used on one node is
 * refused on the other; while Redis is down each node still refuses its own replays and nothing
 * throws; after a Redis restart the nonces the nodes remember are written back, so a nonce used
 * before the restart is still refused on the other node.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { RedisConnection } from '../../src/cluster/redisConnection.js';
import { createLogger } from '../../src/observability/logger.js';
import { ReplayGuard } from '../../src/openapi/replayGuard.js';
import { SharedNonces } from '../../src/openapi/sharedNonces.js';
import { redisForFile } from '../helpers/redis.js';

const redis = redisForFile();

interface Node {
  nonces: SharedNonces;
  connection: RedisConnection;
  log: () => string;
}

async function node(ttlSeconds = 900): Promise<Node> {
  let lines = '';
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines += chunk;
      done();
    },
  });
  const connection = await redis.connection({
    log: createLogger({ level: 'info', format: 'json', destination }),
  });
  const local = new ReplayGuard({ clockSkewSeconds: 900, nonceTtlSeconds: ttlSeconds });
  const nonces = new SharedNonces({ redis: connection, local, nonceTtlSeconds: ttlSeconds, now: Date.now });
  return { nonces, connection, log: () => lines };
}

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let seq = 0;
const fresh = () => `nonce-${process.pid}-${++seq}`;

test('a nonce used on one node is refused on the other, for the same AccessKey only', async () => {
  const [a, b] = [await node(), await node()];
  const n = fresh();
  assert.equal(await a.nonces.useNonce('AK1', n, Date.now()), true);
  assert.equal(await b.nonces.useNonce('AK1', n, Date.now()), false, 'replayed through node B');
  assert.equal(await a.nonces.useNonce('AK1', n, Date.now()), false, 'replayed through node A');
  assert.equal(await b.nonces.useNonce('AK2', n, Date.now()), true, 'another key may use it');
});

test('Redis forgets a nonce after the TTL, so another node takes it again', async () => {
  const [a, b] = [await node(1), await node(1)];
  const n = fresh();
  assert.equal(await a.nonces.useNonce('AK1', n, Date.now()), true);
  assert.equal(await b.nonces.useNonce('AK1', n, Date.now()), false);
  const c = await node(1);
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(await c.nonces.useNonce('AK1', n, Date.now()), true, 'the key expired in Redis');
});

test('while Redis is down requests pass on each node alone, and the outage is logged with its cause', async () => {
  const [a, b] = [await node(), await node()];
  const before = fresh();
  assert.equal(await a.nonces.useNonce('AK1', before, Date.now()), true);
  await redis.server().halt();
  try {
    await until(() => !a.connection.up && !b.connection.up, 5000, 'both nodes to see Redis down');
    const during = fresh();
    assert.equal(await a.nonces.useNonce('AK1', during, Date.now()), true, 'no crash, no refusal');
    assert.equal(
      await a.nonces.useNonce('AK1', during, Date.now()),
      false,
      'node A still refuses its own replay',
    );
    assert.equal(await a.nonces.useNonce('AK1', before, Date.now()), false);
    const warn = a
      .log()
      .split('\n')
      .find((l) => l.includes('redis unreachable'));
    assert.ok(warn, a.log());
    assert.match(JSON.parse(warn).cause, /\S/, 'the cause is in the line');
  } finally {
    await redis.server().start();
  }
});

test('after a Redis restart the nodes write their nonces back: a nonce used before is still refused elsewhere', async () => {
  const [a, b] = [await node(), await node()];
  const beforeRestart = fresh();
  assert.equal(await a.nonces.useNonce('AK1', beforeRestart, Date.now()), true);
  await redis.server().halt();
  await until(() => !a.connection.up, 5000, 'node A to see Redis down');
  const duringOutage = fresh();
  assert.equal(await a.nonces.useNonce('AK1', duringOutage, Date.now()), true);
  await redis.server().start();
  await until(() => a.connection.up && b.connection.up, 5000, 'both nodes to reconnect');
  await until(
    async () => (await a.connection.client.exists(`test:nonce:AK1:${duringOutage}`)) === 1,
    5000,
    'node A to write its nonces back',
  );
  assert.equal(await b.nonces.useNonce('AK1', beforeRestart, Date.now()), false, 'used before the restart');
  assert.equal(await b.nonces.useNonce('AK1', duringOutage, Date.now()), false, 'used during the outage');
  const n = fresh();
  assert.equal(await b.nonces.useNonce('AK1', n, Date.now()), true);
  assert.equal(await a.nonces.useNonce('AK1', n, Date.now()), false, 'shared again after the restart');
  assert.match(a.log(), /redis reachable again/);
  const ttl = await a.connection.client.pttl(`test:nonce:AK1:${beforeRestart}`);
  assert.ok(ttl > 900_000 - 5000 && ttl <= 960_000, `written back with what is left of its TTL (${ttl} ms)`);
});

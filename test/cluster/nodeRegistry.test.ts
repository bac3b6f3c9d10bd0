/**
 * The node registry and the CallId → owner map in a real redis-server: cards and ownerships lapse
 * by themselves when their node stops beating, a clean stop removes the card at once, a node cannot
 * release a call another node took over, and after a Redis restart the next beat puts it all back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemClock } from '../../src/clock/clock.js';
import { CallOwners } from '../../src/cluster/callOwners.js';
import { NodeHeartbeat } from '../../src/cluster/nodeHeartbeat.js';
import { type NodeCard, NodeRegistry } from '../../src/cluster/nodeRegistry.js';
import { redisForFile } from '../helpers/redis.js';

const redis = redisForFile();

const connection = (keyPrefix: string) => redis.connection({ keyPrefix });

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const card = (nodeId: string, calls = 0): NodeCard => ({
  nodeId,
  role: 'media',
  sipAddress: '127.0.0.1:5060',
  capacity: 100,
  calls,
  startedAt: 1,
  seenAt: 2,
});

test('a card is listed while its heartbeat lives and lapses after its TTL', async () => {
  const registry = new NodeRegistry(await connection('reg1:'));
  await registry.heartbeat(card('00001', 3), 10_000);
  await registry.heartbeat(card('00002'), 150);
  assert.deepEqual(
    (await registry.list()).map((n) => [n.nodeId, n.calls]),
    [
      ['00001', 3],
      ['00002', 0],
    ],
  );
  await new Promise((r) => setTimeout(r, 250));
  assert.deepEqual(
    (await registry.list()).map((n) => n.nodeId),
    ['00001'],
  );
  await registry.remove('00001');
  assert.deepEqual(await registry.list(), []);
});

test('a call is found on its owner; another node cannot release it; it lapses without refresh', async () => {
  const owners = new CallOwners(await connection('own1:'));
  const callId = '116012854210^102814279210';
  assert.equal(await owners.owner(callId), undefined);
  await owners.hold([callId, '116012854210^102814279211'], '00001', 200);
  assert.equal(await owners.owner(callId), '00001');
  assert.equal(await owners.release(callId, '00002'), false, 'not the owner');
  assert.equal(await owners.owner(callId), '00001');
  assert.equal(await owners.release(callId, '00001'), true);
  assert.equal(await owners.owner(callId), undefined);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await owners.owner('116012854210^102814279211'), undefined, 'lapsed');
});

test('the heartbeat keeps the card and the live calls in Redis, repairs a restart, and its stop removes the card', async () => {
  const c = await connection('hb1:');
  const registry = new NodeRegistry(c);
  const owners = new CallOwners(c);
  const live = new Set(['116012854210^100001000001']);
  const heartbeat = new NodeHeartbeat({
    redis: c,
    registry,
    owners,
    card: () => ({
      nodeId: '00007',
      role: 'all',
      sipAddress: '127.0.0.1:5070',
      capacity: 50,
      calls: live.size,
    }),
    liveCalls: () => live,
    clock: systemClock,
    intervalMs: 100,
  });
  heartbeat.start();
  try {
    await until(async () => (await registry.list()).length === 1, 2000, 'the first beat');
    assert.equal(await owners.owner('116012854210^100001000001'), '00007');
    // A call that lives longer than the TTL (3 beats) stays owned.
    await new Promise((r) => setTimeout(r, 450));
    assert.equal(await owners.owner('116012854210^100001000001'), '00007', 'refreshed while it lives');
    live.delete('116012854210^100001000001');
    live.add('116012854210^100001000002');
    await until(
      async () => (await owners.owner('116012854210^100001000001')) === undefined,
      2000,
      'the ended call to lapse',
    );
    assert.equal(await owners.owner('116012854210^100001000002'), '00007');
    assert.equal((await registry.list())[0]!.calls, 1);

    await redis.server().restart();
    await until(() => c.up, 5000, 'the reconnection');
    await until(async () => (await registry.list()).length === 1, 2000, 'the card after the restart');
    assert.equal(await owners.owner('116012854210^100001000002'), '00007', 'ownership rebuilt');
  } finally {
    await heartbeat.stop();
  }
  assert.deepEqual(await registry.list(), [], 'a clean stop removes the card at once');
});

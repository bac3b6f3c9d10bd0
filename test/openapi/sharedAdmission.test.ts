/**
 * Admission on two API nodes sharing a real redis-server (SharedAdmission): a nonce admitted on one
 * node is refused on the other, and a refused replay takes no token; the account's bucket is exact
 * across the nodes; each request costs at most one Redis round trip (nonce and buckets in one
 * script), and requests that arrive together share one; while Redis is down each node decides alone; after a restart (script cache and keys gone) the
 * nonces are written back and admission is shared again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RedisConnection } from '../../src/cluster/redisConnection.js';
import type { AdmissionRequest, AdmissionVerdict } from '../../src/openapi/admission.js';
import { ReplayGuard } from '../../src/openapi/replayGuard.js';
import { SharedAdmission } from '../../src/openapi/sharedAdmission.js';
import { redisForFile } from '../helpers/redis.js';

const redis = redisForFile();

interface Node {
  admission: SharedAdmission;
  connection: RedisConnection;
}

async function node(): Promise<Node> {
  const connection = await redis.connection();
  const local = new ReplayGuard({ clockSkewSeconds: 900, nonceTtlSeconds: 900 });
  const admission = new SharedAdmission({ redis: connection, local, nonceTtlSeconds: 900, now: Date.now });
  return { admission, connection };
}

let seq = 0;
const fresh = () => `nonce-${process.pid}-${++seq}`;

/** A SmartCall of `accountId` at `now` with `nonce` (the account's rate `rate`, SmartCall's 1000). */
function request(accountId: number, nonce: string, now: number, rate: number): AdmissionRequest {
  return { accessKeyId: 'AK1', nonce, accountId, accountRate: rate, action: 'SmartCall', apiRate: 1000, now };
}

const admit = async (n: Node, r: AdmissionRequest): Promise<AdmissionVerdict> => n.admission.admit(r);

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a nonce admitted on one node is refused on the other, and the refused replay takes no token', async () => {
  const [a, b] = [await node(), await node()];
  const now = 1_700_000_000_000;
  const first = fresh();
  assert.deepEqual(await admit(a, request(910_001, first, now, 2)), { pass: true });
  assert.deepEqual(await admit(b, request(910_001, first, now, 2)), { pass: false, limit: 'nonce' });
  assert.deepEqual(await admit(a, request(910_001, first, now, 2)), { pass: false, limit: 'nonce' });
  // The account's second token is still there: the replays took none.
  assert.deepEqual(await admit(b, request(910_001, fresh(), now, 2)), { pass: true });
  assert.deepEqual(await admit(a, request(910_001, fresh(), now, 2)), {
    pass: false,
    limit: 'user',
    retryAfterMs: 500,
  });
});

test('a burst through two nodes gets exactly one second of the account rate', async () => {
  const [a, b] = [await node(), await node()];
  const now = 1_800_000_000_000;
  const verdicts = await Promise.all(
    Array.from({ length: 30 }, (_, i) => admit(i % 2 ? b : a, request(910_002, fresh(), now, 7))),
  );
  assert.equal(verdicts.filter((v) => v.pass).length, 7);
  assert.equal(verdicts.filter((v) => !v.pass && v.limit === 'user').length, 23);
});

test('each admitted request costs one Redis round trip', async () => {
  const a = await node();
  const reads = async () =>
    Number(/total_reads_processed:(\d+)/.exec(await a.connection.client.info('stats'))![1]);
  await admit(a, request(910_003, fresh(), 1_850_000_000_000, 100)); // the script is loaded
  const before = await reads();
  for (let i = 0; i < 10; i++) {
    const v = await admit(a, request(910_003, fresh(), 1_850_000_000_000 + i, 100));
    assert.equal(v.pass, true);
  }
  // Ten admissions one after the other, plus the INFO that reads the figure.
  assert.equal((await reads()) - before, 11);
});

test('requests that arrive together share one round trip, and are answered in their order', async () => {
  const a = await node();
  const reads = async () =>
    Number(/total_reads_processed:(\d+)/.exec(await a.connection.client.info('stats'))![1]);
  await admit(a, request(910_007, fresh(), 1_870_000_000_000, 100)); // the script is loaded
  const before = await reads();
  const replayed = fresh();
  const verdicts = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      admit(a, request(910_008, i === 7 ? replayed : fresh(), 1_870_000_000_000, 10)),
    ),
  );
  assert.equal((await reads()) - before, 2, 'one script call, and the INFO that reads the figure');
  // In arrival order: the first ten take the account's ten tokens; the rest are refused.
  assert.deepEqual(
    verdicts.map((v) => v.pass),
    Array.from({ length: 20 }, (_, i) => i < 10),
  );
  assert.deepEqual(await admit(a, request(910_009, replayed, 1_870_000_000_000, 10)), {
    pass: false,
    limit: 'nonce',
  });
});

test('while Redis is down each node decides alone; after a restart the nonces are shared again', async () => {
  const [a, b] = [await node(), await node()];
  const now = 1_900_000_000_000;
  const beforeOutage = fresh();
  assert.equal((await admit(a, request(910_004, beforeOutage, now, 100))).pass, true);
  await redis.server().halt();
  const during = fresh();
  try {
    await until(() => !a.connection.up && !b.connection.up, 'both nodes to see Redis down');
    assert.deepEqual(await admit(a, request(910_004, during, now, 100)), { pass: true });
    assert.deepEqual(
      await admit(a, request(910_004, during, now, 100)),
      { pass: false, limit: 'nonce' },
      'node A still refuses its own replay',
    );
    const alone = [];
    for (let i = 0; i < 5; i++) alone.push(await admit(b, request(910_005, fresh(), now, 3)));
    assert.equal(alone.filter((v) => v.pass).length, 3, "node B's own bucket");
  } finally {
    await redis.server().start();
  }
  await until(() => a.connection.up && b.connection.up, 'both nodes to reconnect');
  await until(
    async () => (await a.connection.client.exists(`test:nonce:AK1:${during}`)) === 1,
    'node A to write its nonces back',
  );
  // The restart emptied the script cache too: EVALSHA falls back to EVAL.
  assert.deepEqual(await admit(b, request(910_004, beforeOutage, now, 100)), { pass: false, limit: 'nonce' });
  assert.deepEqual(await admit(b, request(910_004, during, now, 100)), { pass: false, limit: 'nonce' });
  const after = fresh();
  assert.deepEqual(await admit(b, request(910_006, after, now, 1)), { pass: true });
  assert.deepEqual(await admit(a, request(910_006, after, now, 1)), { pass: false, limit: 'nonce' });
  assert.deepEqual(await admit(a, request(910_006, fresh(), now, 1)), {
    pass: false,
    limit: 'user',
    retryAfterMs: 1000,
  });
});

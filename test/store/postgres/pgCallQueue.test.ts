/**
 * The shared call queue on PostgreSQL with several schedulers at once (each its own pool, as on
 * separate nodes): no call is claimed twice, every call starts once, and no one-second window (any
 * window, not only whole seconds) holds more starts of a trunk than its CPS.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PgCallQueue, type TrunkLimits } from '../../../src/store/postgres/callQueue.js';
import { openPool } from '../../../src/store/postgres/pgDatabase.js';
import { PgStore } from '../../../src/store/postgres/pgStore.js';
import type { CallRecord } from '../../../src/store/records.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { aCall } from '../contract/callContract.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function queuedCalls(name: string, count: number): Promise<{ url: string; calls: CallRecord[] }> {
  const url = await server.createDatabase(name);
  const store = await PgStore.open(url, { poolSize: 2 });
  try {
    const acc = (await store.accounts.create({ name: 'acme', now: 1 })).id;
    const calls = Array.from({ length: count }, (_, i) => aCall(acc, i + 1));
    for (const c of calls) await store.calls.insert(c);
    return { url, calls };
  } finally {
    await store.close();
  }
}

/** One scheduler: claims a few calls at a time and starts each as soon as the trunk allows. */
async function scheduler(
  queue: PgCallQueue,
  trunk: TrunkLimits,
  claimed: string[],
  started: string[],
): Promise<void> {
  for (;;) {
    const batch = await queue.claim(3, 30_000);
    if (batch.length === 0) return;
    for (const call of batch) {
      claimed.push(call.callId);
      for (;;) {
        const r = await queue.start(call.callId, trunk);
        if (r.started) {
          started.push(call.callId);
          break;
        }
        assert.equal(r.reason, 'cps', `the call ${call.callId} was ${r.reason}`);
        await sleep(r.retryInMs);
      }
    }
  }
}

test('four schedulers share the queue: each call claimed and started once, never more than the CPS in any second', async () => {
  const { url, calls } = await queuedCalls('cps', 36);
  const trunk = { name: 'carrier', cps: 10, maxCalls: 1000 };
  const pools = Array.from({ length: 4 }, () => openPool(url, { max: 2 }));
  try {
    const claimed = pools.map(() => [] as string[]);
    const started = pools.map(() => [] as string[]);
    const t0 = performance.now();
    await Promise.all(
      pools.map((p, i) => scheduler(new PgCallQueue(p, `node-${i}`), trunk, claimed[i]!, started[i]!)),
    );
    const elapsed = performance.now() - t0;
    const allClaimed = claimed.flat();
    assert.equal(new Set(allClaimed).size, allClaimed.length, 'no call was claimed twice');
    assert.deepEqual([...allClaimed].sort(), calls.map((c) => c.callId).sort(), 'every call was claimed');
    assert.equal(started.flat().length, calls.length, 'every call started once');
    assert.ok(
      claimed.filter((c) => c.length > 0).length >= 2,
      `the calls were shared between schedulers: ${claimed.map((c) => c.length)}`,
    );
    // Every start, to the microsecond, on the database's one clock.
    const { rows } = await pools[0]!.query<{ us: string; node: string }>(
      "SELECT (extract(epoch FROM at) * 1000000)::bigint::text AS us, node FROM trunk_starts WHERE trunk = 'carrier' ORDER BY at",
    );
    assert.equal(rows.length, calls.length);
    const us = rows.map((r) => BigInt(r.us));
    let maxInWindow = 0;
    for (let i = 0; i < us.length; i++) {
      let n = 0;
      for (let j = i; j < us.length && us[j]! - us[i]! < 1_000_000n; j++) n++;
      maxInWindow = Math.max(maxInWindow, n);
    }
    assert.equal(maxInWindow, trunk.cps, 'the busiest one-second window holds exactly the CPS, never more');
    assert.ok(new Set(rows.map((r) => r.node)).size >= 2, 'starts came from several nodes');
    assert.ok(elapsed >= 3000, `36 starts at 10/s take at least 3 s (took ${Math.round(elapsed)} ms)`);
    const states = await pools[0]!.query<{ state: string; n: number }>(
      'SELECT state, count(*)::int AS n FROM calls GROUP BY state',
    );
    assert.deepEqual(states.rows, [{ state: 'dialing', n: calls.length }]);
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
});

test("a trunk's concurrency limit holds across nodes; a call ending frees its place", async () => {
  const { url, calls } = await queuedCalls('busy', 6);
  const trunk = { name: 'small', cps: 100, maxCalls: 2 };
  const a = openPool(url, { max: 2 });
  const b = openPool(url, { max: 2 });
  try {
    const qa = new PgCallQueue(a, 'a');
    const qb = new PgCallQueue(b, 'b');
    const [ca, cb] = await Promise.all([qa.claim(3, 30_000), qb.claim(3, 30_000)]);
    assert.equal(ca.length + cb.length, 6);
    const results = await Promise.all([
      ...ca.map((c) => qa.start(c.callId, trunk)),
      ...cb.map((c) => qb.start(c.callId, trunk)),
    ]);
    assert.equal(results.filter((r) => r.started).length, 2, 'two calls in progress at most');
    assert.ok(results.filter((r) => !r.started).every((r) => !r.started && r.reason === 'busy'));
    const first = [...ca, ...cb].find((_, i) => results[i]!.started)!;
    await a.query("UPDATE calls SET state = 'ended' WHERE call_id = $1", [first.callId]);
    const waiting = [...ca, ...cb].filter((_, i) => !results[i]!.started);
    const again = await Promise.all(waiting.map((c) => (ca.includes(c) ? qa : qb).start(c.callId, trunk)));
    assert.equal(again.filter((r) => r.started).length, 1, 'one place was freed');
    assert.ok(calls.length === 6);
  } finally {
    await a.end();
    await b.end();
  }
});

test("a node's lapsed hold is taken over by another; the first can no longer start the call", async () => {
  const { url } = await queuedCalls('lapse', 1);
  const a = openPool(url, { max: 1 });
  const b = openPool(url, { max: 1 });
  try {
    const qa = new PgCallQueue(a, 'a');
    const qb = new PgCallQueue(b, 'b');
    const [held] = await qa.claim(10, 50);
    assert.ok(held);
    assert.deepEqual(await qb.claim(10, 30_000), [], 'held by a');
    await sleep(80);
    const [taken] = await qb.claim(10, 30_000);
    assert.equal(taken?.callId, held.callId, "b takes over a's lapsed call");
    assert.deepEqual(await qa.start(held.callId, { name: 't', cps: 10, maxCalls: 10 }), {
      started: false,
      reason: 'gone',
    });
    assert.equal((await qb.start(held.callId, { name: 't', cps: 10, maxCalls: 10 })).started, true);
    await qb.release(held.callId); // no effect on a started call
    assert.deepEqual(await qa.claim(10, 30_000), []);
  } finally {
    await a.end();
    await b.end();
  }
});

test('a released call goes back to the queue for any node', async () => {
  const { url } = await queuedCalls('release', 1);
  const a = openPool(url, { max: 1 });
  try {
    const q1 = new PgCallQueue(a, 'a');
    const q2 = new PgCallQueue(a, 'b');
    const [held] = await q1.claim(1, 30_000);
    assert.deepEqual(await q2.claim(1, 30_000), []);
    await q1.release(held!.callId);
    assert.equal((await q2.claim(1, 30_000))[0]?.callId, held!.callId);
  } finally {
    await a.end();
  }
});

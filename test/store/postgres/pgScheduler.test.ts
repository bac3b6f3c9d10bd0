/**
 * The scheduler on a private PostgreSQL (issue 15, `serve --role scheduler`): CallScheduler over
 * PgSchedulerSession with media nodes as PgCallQueue claimers. The active scheduler places queued
 * calls on the least-loaded node and a node claims its own first; an assignment its node lets lapse,
 * or whose node is gone, is placed again elsewhere; without a scheduler, or once its beacon lapsed,
 * media nodes claim any call at once (as before the scheduler); one scheduler is active, and a
 * standby takes over when the active one's session is killed or when it stops.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { CallScheduler, type MediaNodeView } from '../../../src/calls/callScheduler.js';
import { systemClock } from '../../../src/clock/clock.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { PgCallQueue } from '../../../src/store/postgres/callQueue.js';
import { PgStore } from '../../../src/store/postgres/pgStore.js';
import { PgSchedulerSession } from '../../../src/store/postgres/schedulerSession.js';
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

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A database with `count` queued calls and a default trunk of `cps`. */
async function queued(
  name: string,
  count: number,
  cps = 10,
): Promise<{ store: PgStore; ids: string[]; url: string }> {
  const url = await server.createDatabase(name);
  const store = await PgStore.open(url, { poolSize: 3 });
  const acc = (await store.accounts.create({ name: 'acme', now: 1 })).id;
  const ids: string[] = [];
  for (let i = 1; i <= count; i++) {
    const c = aCall(acc, i);
    await store.calls.insert(c);
    ids.push(c.callId);
  }
  await store.pool.query(
    `INSERT INTO trunks (name, host, port, transport, cps, max_calls, is_default, created_at)
     VALUES ('t', '127.0.0.1', 5060, 'udp', $1, 100, 1, 1)`,
    [cps],
  );
  return { store, ids, url };
}

function scheduler(
  url: string,
  name: string,
  nodes: () => MediaNodeView[],
  o: { assignmentMs?: number; graceMs?: number } = {},
) {
  return new CallScheduler({
    node: name,
    openSession: () => PgSchedulerSession.open(url),
    mediaNodes: async () => nodes(),
    tickMs: 50,
    assignmentMs: o.assignmentMs ?? 3000,
    graceMs: o.graceMs ?? 2000,
    batch: 100,
    standbyRetryMs: 1000,
    clock: systemClock,
    log: silentLogger(),
  });
}

async function assignments(store: PgStore): Promise<Map<string, string | null>> {
  const r = await store.pool.query<{ call_id: string; assigned_node: string | null }>(
    "SELECT call_id, assigned_node FROM calls WHERE state = 'queued' ORDER BY created_at, call_id",
  );
  return new Map(r.rows.map((x) => [x.call_id, x.assigned_node]));
}

test('the active scheduler places calls on the least-loaded media node; each node claims its own, never another’s', async () => {
  const { store, ids, url } = await queued('least', 10);
  // busy carries 6 of 10, idle none: idle gets calls until it is as loaded, then they take turns.
  const nodes = [
    { queue: 'busy', capacity: 10, calls: 6 },
    { queue: 'idle', capacity: 10, calls: 0 },
  ];
  const s = scheduler(url, 'sched-1', () => nodes);
  try {
    s.start();
    await until('ten placed', 5000, () => (s.placed >= 10 ? true : undefined));
    const a = await assignments(store);
    assert.deepEqual(
      ids.slice(0, 6).map((id) => a.get(id)),
      Array(6).fill('idle'),
      'the first six (in queue order) went to the idle node',
    );
    assert.deepEqual(
      ids.slice(6).map((id) => a.get(id)),
      ['busy', 'idle', 'busy', 'idle'],
      'then the nodes took turns',
    );
    const busy = new PgCallQueue(store.pool, 'busy');
    const idle = new PgCallQueue(store.pool, 'idle');
    const other = new PgCallQueue(store.pool, 'unknown');
    assert.deepEqual(
      await other.claim(10, 5000),
      [],
      'while the scheduler places, nobody claims what it did not assign to them',
    );
    assert.deepEqual(
      (await busy.claim(10, 5000)).map((c) => c.callId),
      [ids[6], ids[8]],
    );
    assert.equal((await idle.claim(10, 5000)).length, 8);
  } finally {
    await s.stop();
    await store.close();
  }
});

test('an assignment its node lets lapse, or whose node is gone, is placed again on another node', async () => {
  const { store, ids, url } = await queued('lapse', 4, 1); // 1 CPS: a window of 2 calls
  let nodes = [
    { queue: 'a', capacity: 10, calls: 0 },
    { queue: 'b', capacity: 10, calls: 5 },
    { queue: 'c', capacity: 10, calls: 8 },
  ];
  const s = scheduler(url, 'sched-lapse', () => nodes, { assignmentMs: 1500 });
  const placed = async (node: string) => {
    const a = await assignments(store);
    return a.get(ids[0]!) === node && a.get(ids[1]!) === node ? true : undefined;
  };
  try {
    s.start();
    await until('the two oldest on a (least loaded)', 3000, () => placed('a'));
    assert.equal((await assignments(store)).get(ids[2]!), null, 'no more than the window is placed');
    // a never claims: once its assignments lapse they go to b (a is skipped for a while).
    await until('placed again on b', 4000, () => placed('b'));
    // b leaves the registry (it died): its live assignments go to c at once, not after their lapse.
    const goneAt = Date.now();
    nodes = nodes.filter((n) => n.queue !== 'b');
    await until('b’s calls on c', 3000, () => placed('c'));
    assert.ok(Date.now() - goneAt < 1000, `placed again within ${Date.now() - goneAt} ms`);
    assert.equal((await new PgCallQueue(store.pool, 'c').claim(10, 60_000)).length, 2, 'c claims them');
  } finally {
    await s.stop();
    await store.close();
  }
});

test('without a scheduler, or once its beacon lapsed, media nodes claim any queued call at once', async () => {
  const { store, ids, url } = await queued('grace', 6);
  const a = new PgCallQueue(store.pool, 'a');
  try {
    assert.deepEqual(
      (await a.claim(2, 60_000)).map((c) => c.callId),
      ids.slice(0, 2),
      'no scheduler: claimed at once, oldest first',
    );
    // A scheduler that sees no media node places nothing and leaves no beacon: calls still flow.
    const blind = scheduler(url, 'blind', () => []);
    blind.start();
    await sleep(300);
    assert.equal((await a.claim(1, 60_000)).length, 1, 'a scheduler seeing no media node holds nothing up');
    await blind.stop();
    // A live beacon with nothing assigned to this node: nothing to claim; once it lapses, any call.
    const session = await PgSchedulerSession.open(url);
    try {
      await session.beacon('stalled', 700);
      assert.deepEqual(await a.claim(5, 60_000), [], 'beacon live: only assigned calls');
      await sleep(800);
      assert.deepEqual(
        (await a.claim(5, 60_000)).map((c) => c.callId),
        ids.slice(3),
        'beacon lapsed (the scheduler stalled or died): any call',
      );
    } finally {
      await session.close();
    }
  } finally {
    await store.close();
  }
});

test('one scheduler is active; a standby takes over when its session is killed, and at once when it stops', async () => {
  const { store, url } = await queued('failover', 0);
  const nodes = () => [{ queue: 'a', capacity: 10, calls: 0 }];
  const one = scheduler(url, 'one', nodes);
  const two = scheduler(url, 'two', nodes);
  try {
    one.start();
    await until('one active', 3000, () => (one.state === 'active' ? true : undefined));
    two.start();
    await sleep(1200);
    assert.equal(two.state, 'standby');
    const beacon = async () =>
      (await store.pool.query<{ node: string }>('SELECT node FROM scheduler_beacon')).rows[0]?.node;
    assert.equal(await beacon(), 'one');
    // One's connection dies as a killed process's would: PostgreSQL frees the lock.
    const killedAt = Date.now();
    await store.pool.query(
      `SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'smartcall-scheduler'`,
    );
    await until('two active', 3000, () => (two.state === 'active' ? true : undefined));
    assert.ok(Date.now() - killedAt < 2500, `took over within ${Date.now() - killedAt} ms`);
    await until('one standing by', 3000, () => (one.state === 'standby' ? true : undefined));
    await until('two’s beacon', 2000, async () => ((await beacon()) === 'two' ? true : undefined));
    // Two stops: it lets the lock go and wakes one, which takes over well before its next try.
    await sleep(100);
    const stoppedAt = Date.now();
    await two.stop();
    await until('one active again', 2000, () => (one.state === 'active' ? true : undefined));
    assert.ok(Date.now() - stoppedAt < 700, `taken over at once (${Date.now() - stoppedAt} ms)`);
  } finally {
    await Promise.all([one.stop(), two.stop()]);
    await store.close();
  }
});

test('the scheduler’s session gets short server-side keep-alives (a lost host frees the lock in ≈ 11 s, not 2 h), also when the URL has options', async () => {
  const url = await server.createDatabase('keepalive');
  const want = {
    tcp_keepalives_idle: 5,
    tcp_keepalives_interval: 2,
    tcp_keepalives_count: 3,
    tcp_user_timeout: 11_000,
  };
  for (const u of [url, `${url}?options=${encodeURIComponent('-c statement_timeout=7000')}`]) {
    const session = await PgSchedulerSession.open(u);
    try {
      assert.deepEqual(await session.keepalives(), want, `the server applies them (${u})`);
    } finally {
      await session.close();
    }
  }
});

test('closing a session whose peer went silent (half-open socket) returns within about a second', async () => {
  const url = await server.createDatabase('halfopen');
  const target = new URL(url);
  const sockets: Socket[] = [];
  let frozen = false;
  // A TCP relay to PostgreSQL that can go silent: it stops reading and writing, and never closes.
  const relay = createServer((inbound) => {
    const outbound = connect(Number(target.port), '127.0.0.1');
    sockets.push(inbound, outbound);
    for (const [from, to] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      from.on('data', (d) => {
        if (!frozen) to.write(d);
      });
      from.on('error', () => undefined);
    }
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const relayed = new URL(url);
  relayed.port = String((relay.address() as AddressInfo).port);
  try {
    const session = await PgSchedulerSession.open(relayed.toString());
    assert.equal(await session.tryLock(), true);
    frozen = true;
    for (const s of sockets) s.pause();
    const t0 = Date.now();
    const closed = await Promise.race([session.close().then(() => true), sleep(5000).then(() => false)]);
    assert.ok(closed, 'close() returned');
    assert.ok(Date.now() - t0 < 2000, `close() took ${Date.now() - t0} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => relay.close(r));
  }
});

test('when every media node is skipped for a lapse, the beacon is dropped and the nodes claim by themselves until the skip ends', async () => {
  // A raised CPS: the window jumps and the nodes, still claiming at the old rate, let assignments
  // lapse. Both are skipped for two assignment periods; calls must not wait for that.
  const { store, url } = await queued('allskip', 6, 1); // 1 CPS: a window of 2 calls, one per node
  const nodes = [
    { queue: 'a', capacity: 10, calls: 0 },
    { queue: 'b', capacity: 10, calls: 0 },
  ];
  const s = scheduler(url, 'sched-skip', () => nodes, { assignmentMs: 1000 });
  const beacon = async () =>
    (
      await store.pool.query<{ node: string }>(
        'SELECT node FROM scheduler_beacon WHERE until_ms >= (extract(epoch FROM clock_timestamp()) * 1000)::bigint',
      )
    ).rows[0]?.node;
  try {
    s.start();
    await until('one call placed on each node', 3000, async () => {
      const a = [...(await assignments(store)).values()];
      return a.includes('a') && a.includes('b') ? true : undefined;
    });
    assert.equal(await beacon(), 'sched-skip');
    // Neither claims: both assignments lapse after 1 s and both nodes are skipped for 2 s.
    const lapsedAt = Date.now();
    await until('the beacon dropped', 2500, async () => ((await beacon()) === undefined ? true : undefined));
    assert.ok(Date.now() - lapsedAt < 2500);
    const claimed = await new PgCallQueue(store.pool, 'a').claim(2, 60_000);
    assert.equal(claimed.length, 2, 'a node claims queued calls by itself meanwhile');
    // Once the skip ends, the scheduler places again.
    await until('the beacon back', 4000, async () => ((await beacon()) === 'sched-skip' ? true : undefined));
  } finally {
    await s.stop();
    await store.close();
  }
});

test('when the only node with room is skipped for a lapse and the others are full, the beacon is dropped too', async () => {
  const { store, url } = await queued('skipfull', 4, 1);
  const nodes = [
    { queue: 'a', capacity: 10, calls: 0 },
    { queue: 'full', capacity: 10, calls: 10 },
  ];
  const s = scheduler(url, 'sched-full', () => nodes, { assignmentMs: 1000 });
  const beacon = async () =>
    (
      await store.pool.query<{ node: string }>(
        'SELECT node FROM scheduler_beacon WHERE until_ms >= (extract(epoch FROM clock_timestamp()) * 1000)::bigint',
      )
    ).rows[0]?.node;
  try {
    s.start();
    await until('two calls placed on a', 3000, async () =>
      [...(await assignments(store)).values()].filter((x) => x === 'a').length === 2 ? true : undefined,
    );
    await until('the beacon dropped', 2500, async () => ((await beacon()) === undefined ? true : undefined));
    assert.equal((await new PgCallQueue(store.pool, 'a').claim(2, 60_000)).length, 2, 'a claims by itself');
  } finally {
    await s.stop();
    await store.close();
  }
});

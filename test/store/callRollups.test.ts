/**
 * The overview's roll-ups (migration 23) agree with the calls themselves: calls placed, dialled,
 * ended, failed and changed after their end in a random order, counted from the roll-ups for every
 * window length and account, equal the same figures counted call by call; and a store that held
 * calls before the migration counts them too (the roll-ups are filled from what is there).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newQueuedCall } from '../../src/calls/newCall.js';
import type { CallStats, CallStatsQuery } from '../../src/store/callStats.js';
import type { CallRecord, CallState } from '../../src/store/records.js';
import { migrate, openDatabase } from '../../src/store/sqlite/database.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';

const START = Date.UTC(2025, 5, 1);
const WINDOWS = [
  { ms: 3600_000, bucketMs: 60_000 },
  { ms: 6 * 3600_000, bucketMs: 300_000 },
  { ms: 86400_000, bucketMs: 900_000 },
  { ms: 7 * 86400_000, bucketMs: 7_200_000 },
];
const FINISHED = new Set<CallState>(['ended', 'failed']);

function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function blank(callId: string, accountId: number, createdAt: number): CallRecord {
  return newQueuedCall({
    callId,
    accountId,
    calledNumber: '13800000000',
    calledShowNumber: '057188880000',
    outId: null,
    dynamicId: null,
    request: '{}',
    createdAt,
  });
}

/** Calls in every state over two days, most of them dialled within seconds, made through inserts and updates. */
function placeCalls(store: SqliteStore, accounts: number[], seed: number): void {
  const rnd = random(seed);
  let last = START;
  for (let i = 0; i < 3000; i++) {
    // Bursts: many calls within one second now and then (for the peak CPS).
    const createdAt =
      rnd() < 0.5 ? last + Math.floor(rnd() * 400) : START + Math.floor(rnd() * 2 * 86400_000);
    last = createdAt;
    const c = blank(`c${seed}-${i}`, accounts[i % accounts.length]!, createdAt);
    const trunk = rnd() < 0.5 ? 'carrier' : rnd() < 0.5 ? 'backup' : null;
    const path = rnd();
    if (path < 0.2) {
      // Stored finished at once (as the inbound path and the tests do).
      store.calls.insert({
        ...c,
        state: rnd() < 0.7 ? 'ended' : 'failed',
        trunk,
        originateAt: trunk ? createdAt + 20 : null,
        answerAt: rnd() < 0.5 ? createdAt + 3000 : null,
        endAt: createdAt + 30_000,
        statusCode: rnd() < 0.5 ? '200000' : '200005',
      });
      continue;
    }
    store.calls.insert(c);
    if (path < 0.3) continue; // still queued
    store.calls.update(c.callId, {
      state: 'dialing',
      trunk,
      originateAt: createdAt + Math.floor(rnd() * 3000),
    });
    if (path < 0.4) continue;
    if (rnd() < 0.6) {
      store.calls.update(c.callId, { state: 'answered', answerAt: createdAt + 4000 });
      if (path < 0.5) continue;
      store.calls.update(c.callId, { state: 'ended', endAt: createdAt + 40_000, statusCode: '200000' });
    } else {
      store.calls.update(c.callId, { state: 'failed', endAt: createdAt + 9000, statusCode: '200003' });
    }
    // Changed after its end: a later outcome code (the roll-ups move the call).
    if (rnd() < 0.1) store.calls.update(c.callId, { statusCode: '200010', hangupDirection: '机器' });
  }
}

/** The figures counted call by call, as the overview sums them. */
function byCall(calls: CallRecord[], q: CallStatsQuery) {
  const rows = new Map<string, number[]>();
  const seconds = new Map<string, number>();
  for (const c of calls) {
    if (q.accountId !== undefined && c.accountId !== q.accountId) continue;
    if (c.createdAt >= q.from && c.createdAt < q.to) {
      const key = [Math.floor((c.createdAt - q.from) / q.bucketMs), c.trunk, c.statusCode, c.state].join('|');
      const r = rows.get(key) ?? [0, 0, 0];
      r[0]! += 1;
      r[1]! += c.answerAt !== null ? 1 : 0;
      r[2]! +=
        c.originateAt !== null && c.endAt !== null && c.endAt > c.originateAt ? c.endAt - c.originateAt : 0;
      rows.set(key, r);
    }
    if (c.originateAt !== null && c.trunk !== null && c.originateAt >= q.from && c.originateAt < q.to) {
      const key = `${Math.floor(c.originateAt / 1000)}|${c.trunk}`;
      seconds.set(key, (seconds.get(key) ?? 0) + 1);
    }
  }
  const peaks = new Map<string, number>();
  for (const [key, n] of seconds) {
    const [s, trunk] = key.split('|');
    const k = `${Math.floor((Number(s) * 1000 - q.from) / q.bucketMs)}|${trunk}`;
    peaks.set(k, Math.max(peaks.get(k) ?? 0, n));
  }
  return { rows, peaks };
}

function fromStats(stats: CallStats) {
  const rows = new Map<string, number[]>();
  for (const r of stats.calls) {
    const key = [r.bucket, r.trunk, r.statusCode, r.state].join('|');
    const x = rows.get(key) ?? [0, 0, 0];
    x[0]! += r.count;
    x[1]! += r.answered;
    x[2]! += r.busyMs;
    rows.set(key, x);
  }
  const peaks = new Map<string, number>();
  for (const r of stats.cps)
    peaks.set(`${r.bucket}|${r.trunk}`, Math.max(peaks.get(`${r.bucket}|${r.trunk}`) ?? 0, r.peak));
  return { rows, peaks };
}

const sorted = (m: Map<string, unknown>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

function assertAgree(store: SqliteStore, accounts: number[]): void {
  const all = store.calls.page({}, undefined, 1_000_000);
  let compared = 0;
  for (const w of WINDOWS)
    for (const end of [START + 86400_000, START + 2 * 86400_000 + 7_200_000])
      for (const accountId of [undefined, ...accounts]) {
        const q = {
          from: end - w.ms,
          to: end,
          bucketMs: w.bucketMs,
          ...(accountId !== undefined && { accountId }),
        };
        const got = fromStats(store.callStats.overview(q));
        const want = byCall(all, q);
        assert.deepEqual(sorted(got.rows), sorted(want.rows), `calls of ${JSON.stringify(q)}`);
        assert.deepEqual(sorted(got.peaks), sorted(want.peaks), `peak CPS of ${JSON.stringify(q)}`);
        compared += want.rows.size;
      }
  assert.ok(compared > 1000, `compared ${compared} groups`);
  const finished = all.filter((c) => FINISHED.has(c.state)).length;
  assert.ok(finished > 1000 && finished < all.length, 'finished calls and calls in progress both counted');
}

test('roll-ups agree with the calls counted one by one, for every window and account', () => {
  const store = SqliteStore.inMemory();
  const accounts = [1, 2, 3].map((i) => store.accounts.create({ name: `a${i}`, now: START }).id);
  placeCalls(store, accounts, 7);
  assertAgree(store, accounts);
  store.close();
});

test('calls stored before the roll-ups existed are counted once the migration runs', () => {
  const db = openDatabase(
    ':memory:',
    MIGRATIONS.filter((m) => m.version !== 23),
  );
  const store = new SqliteStore(db);
  const accounts = [1, 2].map((i) => store.accounts.create({ name: `a${i}`, now: START }).id);
  placeCalls(store, accounts, 11);
  migrate(db, MIGRATIONS);
  placeCalls(store, accounts, 12); // and calls after it
  assertAgree(store, accounts);
  store.close();
});

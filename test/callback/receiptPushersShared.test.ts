/**
 * Several receipt pushers on one PostgreSQL outbox (issue 15, `serve --role receipts`): a private
 * PostgreSQL and a real HTTP receiver on 127.0.0.1. Two pushers share the outbox while receipts keep
 * arriving and the receiver sometimes fails: every receipt is accepted exactly once, none is ever in
 * flight from both pushers at once, and each call's receipts arrive in order. A pusher that dies
 * while it holds a lease (its push never returns) has its receipts sent by the other one once the
 * lease runs out, not before, and its late word changes nothing.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ReceiptPusher } from '../../src/callback/receiptPusher.js';
import { systemClock } from '../../src/clock/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { PgStore } from '../../src/store/postgres/pgStore.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

interface Sent {
  id: string;
  call: string;
  seq: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = systemClock.now() + ms;
  while (!(await cond())) {
    if (systemClock.now() > deadline) throw new Error('timed out');
    await pause(10);
  }
}

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ http: Server; url: string }> {
  const http = createServer(handler);
  return new Promise((r) =>
    http.listen(0, '127.0.0.1', () =>
      r({ http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/r` }),
    ),
  );
}

async function append(store: PgStore, accountId: number, url: string, call: string, seq: number) {
  const now = systemClock.now();
  await store.receipts.append({
    receiptId: `${call}:${seq}`,
    accountId,
    callId: call,
    type: 'VoiceCallReport',
    stream: url,
    payload: JSON.stringify({ id: `${call}:${seq}`, call, seq } satisfies Sent),
    nextAttemptAt: now,
    createdAt: now,
  });
}

test('two pushers on one outbox: each receipt accepted once, never in flight twice, each call in order', async () => {
  const accepted: Sent[] = [];
  const inFlight = new Set<string>();
  const overlaps: string[] = [];
  let requests = 0;
  const { http, url } = await listen((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', async () => {
      const batch = JSON.parse(body) as Sent[];
      for (const r of batch) {
        if (inFlight.has(r.id)) overlaps.push(r.id);
        inFlight.add(r.id);
      }
      requests++;
      // A short wait lets the other pusher's claims meet this push; every seventh request fails.
      await pause(5 + (requests % 4) * 5);
      for (const r of batch) inFlight.delete(r.id);
      if (requests % 7 === 0) {
        res.writeHead(503).end();
        return;
      }
      accepted.push(...batch);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0}');
    });
  });
  const store = await PgStore.open(await server.createDatabase('shared'), { poolSize: 4 });
  const pusher = (batchSize: number) =>
    new ReceiptPusher({
      store,
      time: systemClock,
      log: silentLogger(),
      retryDelaysMs: [30, 30, 30, 30, 30, 30, 30, 30],
      batchSize,
      idleMs: 15,
      leaseMs: 5000,
    });
  const pushers = [pusher(3), pusher(2)];
  const calls = 30;
  const perCall = 5;
  try {
    const acc = await store.accounts.create({ name: 'a', now: 1 });
    await store.accounts.setReceipts(acc.id, { url, types: ['VoiceCallReport'] });
    for (const p of pushers) p.start();
    // The receipts come while the pushers run, calls interleaved.
    for (let seq = 1; seq <= perCall; seq++) {
      for (let c = 0; c < calls; c++) await append(store, acc.id, url, `call${c}`, seq);
      await pause(20);
    }
    await until(() => accepted.length >= calls * perCall);
    await pause(200); // anything sent twice would come in now
    assert.deepEqual(overlaps, [], 'no receipt was ever in flight from both pushers at once');
    const ids = accepted.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'no receipt was accepted twice');
    assert.equal(ids.length, calls * perCall);
    for (let c = 0; c < calls; c++) {
      const seqs = accepted.filter((r) => r.call === `call${c}`).map((r) => r.seq);
      assert.deepEqual(seqs, [1, 2, 3, 4, 5], `call${c}'s receipts in order`);
    }
    assert.ok(
      pushers.every((p) => p.stats.delivered > 0),
      `both pushers sent: ${pushers.map((p) => p.stats.delivered).join(', ')}`,
    );
    assert.ok(
      pushers.some((p) => p.stats.failedBatches > 0),
      'failures were retried',
    );
    const pending = await store.pool.query(
      "SELECT COUNT(*)::int AS n FROM receipts WHERE state <> 'delivered'",
    );
    assert.equal(pending.rows[0].n, 0, 'every receipt is marked delivered');
  } finally {
    for (const p of pushers) await p.stop();
    await store.close();
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  }
});

test('a pusher dead in the middle of its lease: the other sends its receipts once the lease runs out', async () => {
  const accepted: { id: string; at: number }[] = [];
  const { http, url } = await listen((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      for (const r of JSON.parse(body) as Sent[]) accepted.push({ id: r.id, at: systemClock.now() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0}');
    });
  });
  const store = await PgStore.open(await server.createDatabase('takeover'), { poolSize: 4 });
  const leaseMs = 1500;
  // The first pusher's push never comes back (the process froze or was killed mid-push).
  let claimedAt = 0;
  let unfreeze: (err: Error) => void = () => {};
  const frozen = new ReceiptPusher({
    store,
    time: systemClock,
    log: silentLogger(),
    idleMs: 10,
    leaseMs,
    fetch: () => {
      claimedAt ||= systemClock.now();
      return new Promise<Response>((_resolve, reject) => {
        unfreeze = reject;
      });
    },
  });
  const other = new ReceiptPusher({ store, time: systemClock, log: silentLogger(), idleMs: 10, leaseMs });
  try {
    const acc = await store.accounts.create({ name: 'a', now: 1 });
    await store.accounts.setReceipts(acc.id, { url, types: ['VoiceCallReport'] });
    for (let seq = 1; seq <= 3; seq++) await append(store, acc.id, url, 'c1', seq);
    frozen.start();
    await until(() => claimedAt > 0);
    other.start();
    await until(() => accepted.length >= 3, 10_000);
    assert.deepEqual(
      accepted.map((r) => r.id),
      ['c1:1', 'c1:2', 'c1:3'],
    );
    const waited = accepted[0]!.at - claimedAt;
    assert.ok(waited >= leaseMs - 50, `sent by the other pusher only after the lease (${waited} ms)`);
    assert.ok(waited < leaseMs + 2000, `…and soon after it (${waited} ms)`);
    await until(async () => (await store.receipts.listByCall('c1')).every((r) => r.state === 'delivered'));
    // The frozen pusher comes back and reports its push failed: it no longer holds the receipts.
    unfreeze(new Error('connection reset'));
    await frozen.stop();
    assert.deepEqual(
      (await store.receipts.listByCall('c1')).map((r) => [r.state, r.attempts, r.lastError]),
      [
        ['delivered', 1, null],
        ['delivered', 1, null],
        ['delivered', 1, null],
      ],
      "the late failure of the pusher that lost its lease is not written over the other's delivery",
    );
  } finally {
    unfreeze(new Error('stopped'));
    await frozen.stop();
    await other.stop();
    await store.close();
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  }
});

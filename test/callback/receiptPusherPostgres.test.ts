/**
 * The receipt pusher on the PostgreSQL outbox (issue 15): a private PostgreSQL, a real HTTP
 * receiver on 127.0.0.1. A failed push is retried and a call's receipts still arrive in order.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
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

test("receipts in PostgreSQL are pushed, retried after a failure, and a call's arrive in order", async () => {
  const got: string[] = [];
  let replies = 0;
  const http = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      replies++;
      if (replies === 1) {
        res.writeHead(500).end();
        return;
      }
      for (const r of JSON.parse(body) as { n: number }[]) got.push(`${req.url}:${r.n}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0}');
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const store = await PgStore.open(await server.createDatabase('pusher'), { poolSize: 3 });
  const pusher = new ReceiptPusher({ store, time: systemClock, log: silentLogger(), retryDelaysMs: [600] });
  try {
    const acc = await store.accounts.create({ name: 'a', now: 1 });
    await store.accounts.setReceipts(acc.id, { url: `${base}/r`, types: ['VoiceCallReport', 'VoiceReport'] });
    const now = systemClock.now();
    for (const [n, type] of [
      [1, 'VoiceCallReport'],
      [2, 'VoiceCallReport'],
      [3, 'VoiceReport'],
    ] as const) {
      await store.receipts.append({
        receiptId: `c1:${type}:${n}`,
        accountId: acc.id,
        callId: 'c1',
        type,
        stream: `${base}/r`,
        payload: JSON.stringify({ n }),
        nextAttemptAt: now,
        createdAt: now,
      });
    }
    pusher.start();
    const until = async (cond: () => boolean) => {
      const deadline = systemClock.now() + 10_000;
      while (!cond() && systemClock.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    };
    await until(() => replies === 1);
    // While c1's first receipts wait for their retry, another call's receipt wakes the pusher: it
    // goes out, c1's VoiceReport (same URL, later) keeps waiting behind them.
    await store.receipts.append({
      receiptId: 'c2:VoiceCallReport:1',
      accountId: acc.id,
      callId: 'c2',
      type: 'VoiceCallReport',
      stream: `${base}/r`,
      payload: JSON.stringify({ n: 4 }),
      nextAttemptAt: now,
      createdAt: now,
    });
    pusher.wake();
    await until(() => got.length >= 4);
    assert.deepEqual(
      got,
      ['/r:4', '/r:1', '/r:2', '/r:3'],
      'the first push failed; the retry kept the order',
    );
    assert.ok(pusher.stats.failedBatches >= 1);
    // The receiver has the bodies before the pusher has written down its success: wait for that.
    const states = async () => (await store.receipts.listByCall('c1')).map((r) => [r.state, r.attempts]);
    const deadline = systemClock.now() + 5000;
    while ((await states()).some(([s]) => s !== 'delivered') && systemClock.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(await states(), [
      ['delivered', 2],
      ['delivered', 2],
      ['delivered', 1],
    ]);
  } finally {
    await pusher.stop();
    await store.close();
    await new Promise((r) => http.close(r));
  }
});

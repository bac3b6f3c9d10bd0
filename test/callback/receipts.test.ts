/**
 * Receipts end to end below the call: the ledger writes them with the call's changes, the pusher
 * delivers them to a real HTTP receiver on 127.0.0.1, in order, with retries on a manual clock.
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ReceiptPusher } from '../../src/callback/receiptPusher.js';
import { CallLedger } from '../../src/calls/callLedger.js';
import { newQueuedCall } from '../../src/calls/newCall.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { tempDir } from '../helpers/tempDir.js';

type Mode = 'ok' | 'fail' | 'slow' | 'not-json';
let mode: Mode = 'ok';
const received: Record<string, unknown>[][] = [];
const held: ServerResponse[] = [];
let port = 0;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => {
    body += d;
  });
  req.on('end', () => {
    received.push(JSON.parse(body));
    if (mode === 'fail') {
      res.statusCode = 500;
      res.end('{"code":1}');
    } else if (mode === 'slow')
      held.push(res); // answers after the 700 ms timeout (never)
    else if (mode === 'not-json') res.end('ok');
    else res.end('{"code":0,"msg":"接收成功"}');
  });
});
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  server.close();
});

function world(dataDir?: string) {
  const store = dataDir ? SqliteStore.open(dataDir) : SqliteStore.inMemory();
  if (!store.accounts.findByName('acme')) {
    const account = store.accounts.create({ name: 'acme', now: 0 });
    store.accounts.setReceipts(account.id, {
      url: `http://127.0.0.1:${port}/receipts`,
      types: ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'],
    });
  }
  const time = new ManualClock({ start: Date.UTC(2024, 4, 1, 2, 0, 0) });
  const ledger = new CallLedger(
    store,
    { urlFor: (c) => `http://127.0.0.1/rec/${c.callId}.wav?Expires=1` },
    silentLogger(),
  );
  const pusher = new ReceiptPusher({ store, time, log: silentLogger() });
  return { store, time, ledger, pusher };
}

function addCall(store: SqliteStore, id: string) {
  const account = store.accounts.findByName('acme')!;
  store.calls.insert(
    newQueuedCall({
      callId: id,
      accountId: account.id,
      calledNumber: '15900001111',
      calledShowNumber: '057188880000',
      outId: 'order-42',
      dynamicId: null,
      request: '{}',
      createdAt: 0,
    }),
  );
}

/** A whole answered call's life through the ledger. */
function answeredCall(ledger: CallLedger, store: SqliteStore, id: string, t0: number) {
  addCall(store, id);
  ledger.progress(id, { state: 'dialing', originateAt: t0 }, '200101', t0);
  ledger.progress(id, { state: 'ringing', ringAt: t0 + 1000 }, '200201', t0 + 1000);
  ledger.progress(id, { state: 'answered', answerAt: t0 + 5000 }, '200102', t0 + 5000);
  ledger.dtmf(id, '1', t0 + 8000);
  ledger.finish(
    id,
    {
      state: 'ended',
      endAt: t0 + 40_000,
      statusCode: '200000',
      smartStatusCode: 'ANSWERED',
      statusMsg: '执行完成',
      hangupDirection: '用户',
      recordPath: '/x.wav',
      recordBeginAt: t0 + 5000,
    },
    { earlyMediaAsr: false, recorded: true },
  );
}

/** Moves the clock in steps, letting each push that becomes due finish (over real HTTP). */
const settle = async (time: ManualClock, ms = 0, pusher?: ReceiptPusher) => {
  for (let i = 0; i < 20; i++) {
    time.advance(ms / 20);
    await new Promise((r) => setImmediate(r));
    await pusher?.whenIdle();
  }
};

test('an answered call yields its receipts in order with every VoiceReport field, each with a stable id', async () => {
  received.length = 0;
  mode = 'ok';
  const { store, time, ledger, pusher } = world();
  answeredCall(ledger, store, '100000000001^000010000001', time.now());
  pusher.start();
  await settle(time, 0, pusher);
  const all = received.flat() as Record<string, string | number>[];
  assert.deepEqual(
    all.map((r) => `${r.status_code ?? ''}${r.record_file ? 'record' : ''}${r.caller ? 'report' : ''}`),
    ['200101', '200201', '200102', '300000', '200100', '200000report', '200000record'],
  );
  const report = all.find((r) => r.caller)!;
  for (const field of [
    'call_id',
    'caller',
    'callee',
    'originate_time',
    'ring_time',
    'start_time',
    'end_time',
    'duration',
    'status_code',
    'smart_status_code',
    'status_msg',
    'hangup_direction',
    'out_id',
    'dtmf',
    'voice_type',
    'toll_type',
    'b_originate_time',
    'b_ring_time',
    'b_start_time',
    'b_end_time',
    'b_duration',
  ]) {
    assert.ok(field in report, field);
  }
  assert.equal(report.start_time, '2024-05-01 10:00:05');
  assert.equal(report.duration, '35');
  assert.equal(report.b_duration, 35);
  assert.equal(report.hangup_direction, '用户');
  assert.equal(report.dtmf, '1');
  assert.equal(new Set(all.map((r) => r.receipt_id)).size, all.length);
  assert.equal(
    all.find((r) => r.dtmf === '1' && r.status_code === '300000')!.status_time,
    '2024-05-01 10:00:08',
  );
  await pusher.stop();
  store.close();
});

test('a failing receiver is retried after 1, 5 and 10 minutes, then the receipts are abandoned', async () => {
  received.length = 0;
  mode = 'fail';
  const { store, time, ledger, pusher } = world();
  addCall(store, '100000000002^000010000001');
  ledger.progress('100000000002^000010000001', { state: 'dialing' }, '200101', time.now());
  pusher.start();
  await settle(time, 0, pusher);
  assert.equal(received.length, 1);
  await settle(time, 59_000, pusher);
  assert.equal(received.length, 1, 'not before a minute');
  await settle(time, 2000, pusher);
  assert.equal(received.length, 2);
  await settle(time, 5 * 60_000, pusher);
  assert.equal(received.length, 3);
  await settle(time, 10 * 60_000, pusher);
  assert.equal(received.length, 4);
  await settle(time, 60 * 60_000, pusher);
  assert.equal(received.length, 4, 'three retries, then it gives up');
  assert.equal(store.receipts.listByCall('100000000002^000010000001')[0]!.state, 'abandoned');
  await pusher.stop();
  store.close();
});

test('a receiver that times out first gets the same receipt ids again, so it can drop the duplicate', async () => {
  received.length = 0;
  mode = 'slow';
  const { store, time, ledger, pusher } = world();
  addCall(store, '100000000003^000010000001');
  ledger.progress('100000000003^000010000001', { state: 'dialing' }, '200101', time.now());
  pusher.start();
  await new Promise((r) => setTimeout(r, 900)); // the real 700 ms timeout passes
  await settle(time, 0, pusher);
  mode = 'ok';
  await settle(time, 61_000, pusher);
  assert.equal(received.length, 2);
  assert.equal(
    (received[0]![0] as { receipt_id: string }).receipt_id,
    (received[1]![0] as { receipt_id: string }).receipt_id,
  );
  const distinct = new Set(received.flat().map((r) => (r as { receipt_id: string }).receipt_id));
  assert.equal(distinct.size, 1, 'deduplicated by the receiver: exactly once');
  await pusher.stop();
  store.close();
});

test("a call's later receipts wait behind an earlier one that waits for its retry", async () => {
  received.length = 0;
  mode = 'not-json';
  const { store, time, ledger, pusher } = world();
  const id = '100000000004^000010000001';
  addCall(store, id);
  ledger.progress(id, { state: 'dialing' }, '200101', time.now());
  pusher.start();
  await settle(time, 0, pusher);
  mode = 'ok';
  ledger.progress(id, { state: 'ringing' }, '200201', time.now());
  pusher.wake();
  await settle(time, 0, pusher);
  assert.equal(received.length, 1, 'ringing is not pushed before calling was delivered');
  await settle(time, 61_000, pusher);
  const codes = received
    .slice(1)
    .flat()
    .map((r) => (r as { status_code: string }).status_code);
  assert.deepEqual(codes, ['200101', '200201']);
  await pusher.stop();
  store.close();
});

test('a restart during retries loses nothing: the next process delivers what was pending', async () => {
  received.length = 0;
  mode = 'fail';
  const dir = tempDir();
  try {
    const first = world(dir.path);
    answeredCall(first.ledger, first.store, '100000000005^000010000001', first.time.now());
    first.pusher.start();
    await settle(first.time, 0, first.pusher);
    await first.pusher.stop();
    first.store.close();
    assert.equal(received.length, 1);

    mode = 'ok';
    received.length = 0;
    const second = world(dir.path);
    second.time.advance(60_000);
    second.pusher.start();
    await settle(second.time, 1000, second.pusher);
    assert.equal(received.flat().length, 7, 'every receipt of the call, once');
    assert.ok(
      second.store.receipts.listByCall('100000000005^000010000001').every((r) => r.state === 'delivered'),
    );
    await second.pusher.stop();
    second.store.close();
  } finally {
    dir.remove();
  }
});

test('finishing a call twice (a crash between two attempts) writes its receipts once', () => {
  const { store, time, ledger } = world();
  answeredCall(ledger, store, '100000000006^000010000001', time.now());
  const before = store.receipts.listByCall('100000000006^000010000001').length;
  ledger.finish('100000000006^000010000001', { state: 'ended' }, { earlyMediaAsr: false, recorded: true });
  assert.equal(store.receipts.listByCall('100000000006^000010000001').length, before);
  store.close();
});

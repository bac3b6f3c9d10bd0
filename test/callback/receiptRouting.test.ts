/**
 * Receipts go where the Alibaba console would send them (spec §5.1): one push URL per MessageType,
 * one MessageType per batch; the older one-URL setting still serves every type it lists, each in
 * its own batch. A receiver that fails holds back only its own type. Transfer and parallel legs get
 * their own VoiceReport (`voice_type` `smart_transfer`, §5.3) through the ledger, exactly once.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import type { SecondLegReport } from '../../src/callback/receiptPayloads.js';
import { ReceiptPusher } from '../../src/callback/receiptPusher.js';
import { CallLedger } from '../../src/calls/callLedger.js';
import { newQueuedCall } from '../../src/calls/newCall.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { ReceiptSettings } from '../../src/store/records.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';

type Receipt = Record<string, string | number>;

/** An HTTP receiver on 127.0.0.1 that keeps every batch it is sent. */
class Receiver {
  readonly batches: Receipt[][] = [];
  fail = false;
  readonly #server: Server;
  port = 0;
  constructor() {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        this.batches.push(JSON.parse(body));
        res.statusCode = this.fail ? 500 : 200;
        res.end(this.fail ? '{"code":1}' : '{"code":0,"msg":"接收成功"}');
      });
    });
  }
  async start(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}/receipts`;
  }
  close(): void {
    this.#server.closeAllConnections();
    this.#server.close();
  }
}

const receivers: Receiver[] = [];
async function receiver(): Promise<Receiver> {
  const r = await new Receiver().start();
  receivers.push(r);
  return r;
}
after(() => {
  for (const r of receivers) r.close();
});

/** Which MessageType a receipt is, by its keys (no field names the type). */
const typeOf = (r: Receipt) =>
  'record_file' in r ? 'VoiceRecordReport' : 'caller' in r ? 'VoiceReport' : 'VoiceCallReport';

function world(settings: Omit<ReceiptSettings, 'typeUrls'> & Partial<ReceiptSettings>) {
  const store = SqliteStore.inMemory();
  const account = store.accounts.create({ name: 'acme', now: 0 });
  store.accounts.setReceipts(account.id, settings);
  const time = new ManualClock({ start: Date.UTC(2024, 4, 1, 2, 0, 0) });
  const ledger = new CallLedger(
    store,
    { urlFor: (c) => `http://127.0.0.1/rec/${c.callId}.wav` },
    silentLogger(),
  );
  const pusher = new ReceiptPusher({ store, time, log: silentLogger() });
  return { store, time, ledger, pusher, accountId: account.id };
}

function answeredCall(w: ReturnType<typeof world>, id: string) {
  const { store, ledger } = w;
  const t0 = w.time.now();
  store.calls.insert(
    newQueuedCall({
      callId: id,
      accountId: w.accountId,
      calledNumber: '15900001111',
      calledShowNumber: '057188880000',
      outId: 'order-42',
      dynamicId: null,
      request: '{}',
      createdAt: t0,
    }),
  );
  ledger.progress(id, { state: 'dialing', originateAt: t0 }, '200101', t0);
  ledger.progress(id, { state: 'ringing', ringAt: t0 + 1000 }, '200201', t0 + 1000);
  ledger.progress(id, { state: 'answered', answerAt: t0 + 5000 }, '200102', t0 + 5000);
  return (extra: { parallelLeg?: SecondLegReport } = {}) => {
    if (extra.parallelLeg) ledger.secondLeg(id, extra.parallelLeg);
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
  };
}

const settle = async (time: ManualClock, pusher: ReceiptPusher, ms = 0) => {
  for (let i = 0; i < 20; i++) {
    time.advance(ms / 20);
    await new Promise((r) => setImmediate(r));
    await pusher.whenIdle();
  }
};

const oneTypeEach = (batches: Receipt[][]) => batches.map((b) => [...new Set(b.map(typeOf))]);

test('each MessageType goes to its own URL, one type per batch', async () => {
  const progress = await receiver();
  const reports = await receiver();
  const w = world({
    url: null,
    types: [],
    typeUrls: { VoiceCallReport: progress.url, VoiceReport: reports.url, VoiceRecordReport: reports.url },
  });
  answeredCall(w, '100000000101^000010000001')();
  answeredCall(w, '100000000102^000010000001')();
  w.pusher.start();
  await settle(w.time, w.pusher);
  assert.deepEqual(
    progress.batches.flat().map((r) => `${r.call_id} ${r.status_code}`),
    ['101', '102'].flatMap((n) =>
      ['200101', '200201', '200102', '200100'].map((c) => `100000000${n}^000010000001 ${c}`),
    ),
    'every VoiceCallReport, in order per call',
  );
  assert.deepEqual(reports.batches.flat().map(typeOf).sort(), [
    'VoiceRecordReport',
    'VoiceRecordReport',
    'VoiceReport',
    'VoiceReport',
  ]);
  for (const batch of oneTypeEach([...progress.batches, ...reports.batches]))
    assert.equal(batch.length, 1, `one MessageType per batch: ${batch}`);
  await w.pusher.stop();
  w.store.close();
});

test('the one-URL setting still sends every listed type, each in its own batch', async () => {
  const one = await receiver();
  const w = world({ url: one.url, types: ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'] });
  answeredCall(w, '100000000103^000010000001')();
  w.pusher.start();
  await settle(w.time, w.pusher);
  assert.deepEqual(oneTypeEach(one.batches), [['VoiceCallReport'], ['VoiceReport'], ['VoiceRecordReport']]);
  assert.equal(one.batches.flat().length, 6);
  await w.pusher.stop();
  w.store.close();
});

test("with one URL for every type, a call's receipts still arrive in order when the receiver fails first", async () => {
  const one = await receiver();
  one.fail = true;
  const w = world({ url: one.url, types: ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'] });
  const id = '100000000108^000010000001';
  answeredCall(w, id)();
  w.pusher.start();
  await settle(w.time, w.pusher);
  assert.deepEqual(
    oneTypeEach(one.batches),
    [['VoiceCallReport']],
    'the reports wait behind the failed batch',
  );
  one.fail = false;
  await settle(w.time, w.pusher, 61_000);
  const delivered = one.batches.slice(1).flat();
  assert.deepEqual(
    delivered.map((r) => (typeOf(r) === 'VoiceCallReport' ? String(r.status_code) : typeOf(r))),
    ['200101', '200201', '200102', '200100', 'VoiceReport', 'VoiceRecordReport'],
  );
  for (const batch of oneTypeEach(one.batches)) assert.equal(batch.length, 1);
  await w.pusher.stop();
  w.store.close();
});

test("with one URL, a call's receipts arrive as written even when a later type comes first in a look", async () => {
  const one = await receiver();
  const w = world({ url: one.url, types: ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'] });
  const id = '100000000109^000010000001';
  const finish = answeredCall(w, id);
  w.pusher.start();
  await settle(w.time, w.pusher); // the three progress reports go out
  const t0 = w.time.now();
  // A transfer leg's VoiceReport is written before the call's last VoiceCallReport: in the next
  // look at the outbox a VoiceReport comes first.
  finish({
    parallelLeg: {
      index: 1,
      kind: 'parallel',
      callee: '13900000028',
      originateAt: t0 + 10_000,
      ringAt: t0 + 11_000,
      answerAt: t0 + 13_000,
      endAt: t0 + 33_000,
      statusCode: '200000',
      smartStatusCode: 'ANSWERED',
      statusMsg: '执行完成',
      hangupDirection: '用户',
    },
  });
  w.pusher.wake();
  await settle(w.time, w.pusher);
  const label = (r: Receipt) =>
    typeOf(r) === 'VoiceCallReport'
      ? String(r.status_code)
      : typeOf(r) === 'VoiceReport'
        ? `VoiceReport ${r.voice_type ?? ''}`.trim()
        : typeOf(r);
  assert.deepEqual(one.batches.flat().map(label), [
    '200101',
    '200201',
    '200102',
    'VoiceReport smart_transfer',
    '200100',
    'VoiceReport voice',
    'VoiceRecordReport',
  ]);
  for (const batch of oneTypeEach(one.batches)) assert.equal(batch.length, 1);
  await w.pusher.stop();
  w.store.close();
});

test("a type's own URL wins over the account URL; a type with neither is not written", async () => {
  const general = await receiver();
  const reports = await receiver();
  const w = world({ url: general.url, types: ['VoiceCallReport'], typeUrls: { VoiceReport: reports.url } });
  answeredCall(w, '100000000104^000010000001')();
  w.pusher.start();
  await settle(w.time, w.pusher);
  assert.deepEqual([...new Set(general.batches.flat().map(typeOf))], ['VoiceCallReport']);
  assert.deepEqual(reports.batches.flat().map(typeOf), ['VoiceReport']);
  assert.ok(
    w.store.receipts.listByCall('100000000104^000010000001').every((r) => r.type !== 'VoiceRecordReport'),
    'VoiceRecordReport is not enabled: nothing owed',
  );
  await w.pusher.stop();
  w.store.close();
});

test('a failing URL is retried on its own schedule and holds back only its own type', async () => {
  const progress = await receiver();
  const reports = await receiver();
  reports.fail = true;
  const w = world({
    url: null,
    types: [],
    typeUrls: { VoiceCallReport: progress.url, VoiceReport: reports.url },
  });
  const id = '100000000105^000010000001';
  const finish = answeredCall(w, id);
  w.pusher.start();
  await settle(w.time, w.pusher);
  finish();
  w.pusher.wake();
  await settle(w.time, w.pusher);
  assert.equal(progress.batches.flat().length, 4, 'VoiceCallReports all delivered');
  assert.equal(reports.batches.length, 1, 'the VoiceReport failed once');
  await settle(w.time, w.pusher, 30_000);
  assert.equal(reports.batches.length, 1, 'not retried before its minute');
  reports.fail = false;
  await settle(w.time, w.pusher, 31_000);
  assert.equal(reports.batches.length, 2, 'retried after 1 minute');
  assert.equal(progress.batches.flat().length, 4, 'the other URL is not sent anything again');
  assert.ok(w.store.receipts.listByCall(id).every((r) => r.state === 'delivered'));
  await w.pusher.stop();
  w.store.close();
});

test('a second leg gets its own smart_transfer VoiceReport once; a parallel leg fills parallel_leg_hangup_cause', async () => {
  const reports = await receiver();
  const w = world({ url: null, types: [], typeUrls: { VoiceReport: reports.url } });
  const id = '100000000106^000010000001';
  const finish = answeredCall(w, id);
  const t0 = w.time.now();
  const leg: SecondLegReport = {
    index: 1,
    kind: 'parallel',
    callee: '13900000028',
    originateAt: t0 + 10_000,
    ringAt: t0 + 11_000,
    answerAt: t0 + 13_000,
    endAt: t0 + 33_000,
    statusCode: '200000',
    smartStatusCode: 'ANSWERED',
    statusMsg: '执行完成',
    hangupDirection: '用户',
  };
  finish({ parallelLeg: leg });
  w.ledger.secondLeg(id, leg); // written again (a retry): still once
  w.pusher.start();
  await settle(w.time, w.pusher);
  const all = reports.batches.flat();
  assert.equal(all.length, 2);
  const [legReport, callReport] = all as [Receipt, Receipt];
  assert.deepEqual(
    {
      call_id: legReport.call_id,
      voice_type: legReport.voice_type,
      caller: legReport.caller,
      callee: legReport.callee,
      originate_time: legReport.originate_time,
      ring_time: legReport.ring_time,
      start_time: legReport.start_time,
      end_time: legReport.end_time,
      duration: legReport.duration,
      b_duration: legReport.b_duration,
      status_code: legReport.status_code,
      hangup_direction: legReport.hangup_direction,
      out_id: legReport.out_id,
    },
    {
      call_id: id,
      voice_type: 'smart_transfer',
      caller: '057188880000',
      callee: '13900000028',
      originate_time: '2024-05-01 10:00:10',
      ring_time: '2024-05-01 10:00:11',
      start_time: '2024-05-01 10:00:13',
      end_time: '2024-05-01 10:00:33',
      duration: '20',
      b_duration: 20,
      status_code: '200000',
      hangup_direction: '用户',
      out_id: 'order-42',
    },
  );
  assert.notEqual(legReport.receipt_id, callReport.receipt_id);
  assert.equal(callReport.voice_type, 'voice');
  assert.equal(callReport.parallel_leg_hangup_cause, '200000');
  await w.pusher.stop();
  w.store.close();
});

test('a call without a parallel leg has no parallel_leg_hangup_cause', async () => {
  const reports = await receiver();
  const w = world({ url: null, types: [], typeUrls: { VoiceReport: reports.url } });
  answeredCall(w, '100000000107^000010000001')();
  w.pusher.start();
  await settle(w.time, w.pusher);
  const [report] = reports.batches.flat();
  assert.ok(report && !('parallel_leg_hangup_cause' in report));
  await w.pusher.stop();
  w.store.close();
});

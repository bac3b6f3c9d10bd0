/**
 * The dialer's limits, with a placer that stands in for real calls (the end-to-end tests place
 * real ones) and a manual clock, so "10 calls per second" is checked without waiting.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallLedger } from '../../src/calls/callLedger.js';
import { type CallPlacer, Dialer } from '../../src/calls/dialer.js';
import { newQueuedCall } from '../../src/calls/newCall.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { CallRecord, TrunkRecord } from '../../src/store/records.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';

const TRUNK: TrunkRecord = {
  name: 't',
  host: '127.0.0.1',
  port: 5060,
  transport: 'udp',
  username: null,
  passwordEnc: null,
  realm: null,
  callerFormat: 'national',
  calleeFormat: 'national',
  sendPai: false,
  cps: 10,
  maxCalls: 100,
  optionsIntervalS: 0,
  codecs: ['PCMU', 'PCMA'],
  isDefault: true,
  createdAt: 0,
};

function queuedCalls(store: SqliteStore, n: number, t0: number): string[] {
  const account = store.accounts.create({ name: `a${Math.random()}`, now: t0 });
  store.accounts.setReceipts(account.id, {
    url: 'http://127.0.0.1:9/receipts',
    types: ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'],
  });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const callId = `${String(i).padStart(12, '0')}^000000000001`;
    store.calls.insert(
      newQueuedCall({
        callId,
        accountId: account.id,
        calledNumber: '15900001111',
        calledShowNumber: '057188880000',
        outId: null,
        dynamicId: null,
        request: '{}',
        createdAt: t0 + i,
      }),
    );
    ids.push(callId);
  }
  return ids;
}

/** Records when each call was placed; each call lasts until `release()` is called for it. */
class HoldingPlacer implements CallPlacer {
  readonly started: { callId: string; at: number }[] = [];
  readonly #release = new Map<string, () => void>();
  constructor(readonly time: ManualClock) {}
  place(call: CallRecord): Promise<void> {
    this.started.push({ callId: call.callId, at: this.time.now() });
    return new Promise((resolve) => this.#release.set(call.callId, resolve));
  }
  release(callId: string): void {
    this.#release.get(callId)?.();
  }
}

const ledgerFor = (store: SqliteStore, time: ManualClock) =>
  new CallLedger(store, { urlFor: () => '' }, silentLogger(), time);

const flush = () => new Promise((r) => setImmediate(r));

test('no more than cps calls start within any one second, and none is dropped', async () => {
  const time = new ManualClock();
  const store = SqliteStore.inMemory();
  const ids = queuedCalls(store, 35, time.now());
  const placer = new HoldingPlacer(time);
  const dialer = new Dialer({
    store,
    ledger: ledgerFor(store, time),
    placer,
    trunkFor: () => TRUNK,
    time,
    log: silentLogger(),
  });
  dialer.start();
  for (let ms = 0; ms <= 4000; ms += 10) {
    time.advance(10);
    await flush();
  }
  assert.equal(placer.started.length, 35, 'every call was placed');
  assert.deepEqual(
    placer.started.map((s) => s.callId),
    ids,
    'in the order they were accepted',
  );
  for (const s of placer.started) {
    const inWindow = placer.started.filter((o) => o.at > s.at - 1000 && o.at <= s.at).length;
    assert.ok(inWindow <= 10, `${inWindow} calls started in the second up to ${s.at}`);
  }
  assert.equal(store.calls.find(ids[0]!)!.state, 'dialing');
  for (const id of ids) placer.release(id);
  await dialer.stop();
  store.close();
});

test('beyond max-calls, calls wait for one to end', async () => {
  const time = new ManualClock();
  const store = SqliteStore.inMemory();
  const ids = queuedCalls(store, 5, time.now());
  const placer = new HoldingPlacer(time);
  const dialer = new Dialer({
    store,
    ledger: ledgerFor(store, time),
    placer,
    trunkFor: () => ({ ...TRUNK, maxCalls: 2, cps: 100 }),
    time,
    log: silentLogger(),
  });
  dialer.start();
  time.advance(5000);
  await flush();
  assert.equal(placer.started.length, 2);
  assert.deepEqual(dialer.stats, { queued: 3, held: 0, active: { t: 2 } });
  placer.release(ids[0]!);
  await flush();
  await flush();
  assert.equal(placer.started.length, 3, 'one ended, one more started');
  for (let round = 0; round < 5; round++) {
    for (const s of placer.started) placer.release(s.callId);
    await flush();
    await flush();
  }
  assert.equal(placer.started.length, 5);
  await dialer.stop();
  store.close();
});

test('calls queued before a restart are picked up, newly accepted ones are added', async () => {
  const time = new ManualClock();
  const store = SqliteStore.inMemory();
  const [first] = queuedCalls(store, 1, time.now());
  const placer = new HoldingPlacer(time);
  const dialer = new Dialer({
    store,
    ledger: ledgerFor(store, time),
    placer,
    trunkFor: () => TRUNK,
    time,
    log: silentLogger(),
  });
  dialer.start();
  assert.deepEqual(
    placer.started.map((s) => s.callId),
    [first],
  );
  dialer.enqueue(first!); // already placed: not placed twice
  assert.equal(placer.started.length, 1);
  placer.release(first!);
  await dialer.stop();
  store.close();
});

test('without a trunk a call fails with a clear status instead of waiting forever', async () => {
  const time = new ManualClock();
  const store = SqliteStore.inMemory();
  const [id] = queuedCalls(store, 1, time.now());
  const dialer = new Dialer({
    store,
    ledger: ledgerFor(store, time),
    placer: new HoldingPlacer(time),
    trunkFor: () => undefined,
    time,
    log: silentLogger(),
  });
  dialer.start();
  const call = store.calls.find(id!)!;
  assert.equal(call.state, 'failed');
  assert.equal(call.statusMsg, 'no trunk is configured');
  const receipts = store.receipts.listByCall(id!).map((r) => r.type);
  assert.deepEqual(receipts, ['VoiceReport'], 'its VoiceReport is owed, through the ledger');
  await dialer.stop();
  store.close();
});

test('a call whose placing fails unexpectedly ends failed with exactly one VoiceReport', async () => {
  const time = new ManualClock();
  const store = SqliteStore.inMemory();
  const [id] = queuedCalls(store, 1, time.now());
  const dialer = new Dialer({
    store,
    ledger: ledgerFor(store, time),
    placer: { place: () => Promise.reject(new Error('boom')) },
    trunkFor: () => TRUNK,
    time,
    log: silentLogger(),
  });
  dialer.start();
  await flush();
  await dialer.stop();
  const call = store.calls.find(id!)!;
  assert.equal(call.state, 'failed');
  assert.equal(call.statusCode, '999999');
  assert.equal(call.statusMsg, 'internal error: boom');
  const receipts = store.receipts.listByCall(id!).map((r) => r.type);
  assert.deepEqual(receipts, ['VoiceReport']);
  store.close();
});

test("trunkLoad (metrics) reports each trunk's calls and attempts against its limits", async () => {
  const time = new ManualClock();
  const store = SqliteStore.inMemory();
  const ids = queuedCalls(store, 5, time.now());
  const placer = new HoldingPlacer(time);
  const dialer = new Dialer({
    store,
    ledger: ledgerFor(store, time),
    placer,
    trunkFor: () => ({ ...TRUNK, cps: 3, maxCalls: 4 }),
    time,
    log: silentLogger(),
  });
  assert.deepEqual(dialer.trunkLoad(), [], 'no trunk used yet');
  dialer.start();
  await flush();
  const load = { trunk: 't', cps: 3, maxCalls: 4 };
  assert.deepEqual(dialer.trunkLoad(), [{ ...load, active: 3, startsLastSecond: 3, attempts: 3 }]);
  time.advance(1000);
  await flush();
  assert.deepEqual(
    dialer.trunkLoad(),
    [{ ...load, active: 4, startsLastSecond: 1, attempts: 4 }],
    'a second later: one more, up to max-calls',
  );
  for (const id of ids) placer.release(id);
  await flush();
  await flush();
  time.advance(1000);
  await flush();
  for (const s of placer.started) placer.release(s.callId);
  await flush();
  await flush();
  assert.deepEqual(dialer.trunkLoad(), [{ ...load, active: 0, startsLastSecond: 0, attempts: 5 }]);
  await dialer.stop();
  store.close();
});

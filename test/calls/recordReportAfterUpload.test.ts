/**
 * With recordings in object storage the ledger's VoiceRecordReport waits for the upload: the final
 * record carries the VoiceReport only, `recordingStored` adds the VoiceRecordReport (its URL made
 * then), once per call however often an upload is repeated, and never for a call still running.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallLedger } from '../../src/calls/callLedger.js';
import { newQueuedCall } from '../../src/calls/newCall.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';

function world() {
  const store = SqliteStore.inMemory();
  const account = store.accounts.create({ name: 'acme', now: 0 });
  store.accounts.setReceipts(account.id, {
    url: 'http://127.0.0.1:9/receipts',
    types: ['VoiceReport', 'VoiceRecordReport'],
  });
  store.calls.insert(
    newQueuedCall({
      callId: '1^2',
      accountId: account.id,
      calledNumber: '15900001111',
      calledShowNumber: '057188880000',
      outId: null,
      dynamicId: null,
      request: '{}',
      createdAt: 0,
    }),
  );
  let made = 0;
  const ledger = new CallLedger(
    store,
    { afterUpload: true, urlFor: (c) => `http://s3.test/calls/${c.callId}.wav?n=${++made}` },
    silentLogger(),
  );
  const types = () => store.receipts.listByCall('1^2').map((r) => r.type);
  return { store, ledger, types };
}

test('the VoiceRecordReport of an uploaded recording comes after the upload, once', () => {
  const { ledger, types, store } = world();
  ledger.note('1^2', { state: 'answered', answerAt: 1000, recordPath: '/r/2026-12-06/1_2.wav' });
  assert.equal(ledger.recordingStored('1^2'), false, 'not while the call runs');
  ledger.finish('1^2', { state: 'ended', endAt: 5000 }, { earlyMediaAsr: false, recorded: true });
  assert.deepEqual(types(), ['VoiceReport']);
  assert.equal(ledger.recordingStored('1^2'), true);
  assert.equal(ledger.recordingStored('1^2'), true); // an upload repeated after a crash
  assert.deepEqual(types(), ['VoiceReport', 'VoiceRecordReport']);
  const report = JSON.parse(store.receipts.listByCall('1^2')[1]!.payload) as { record_file: string };
  assert.equal(report.record_file, 'http://s3.test/calls/1^2.wav?n=1');
});

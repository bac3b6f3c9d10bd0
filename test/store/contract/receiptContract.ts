import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReceiptRecord } from '../../../src/store/records.js';
import { type StoreFactory, withStore } from './storeFactory.js';

type NewReceipt = Omit<ReceiptRecord, 'id' | 'state' | 'attempts' | 'lastError' | 'deliveredAt'>;

const receipt = (callId: string, n: number, extra: Partial<NewReceipt> = {}): NewReceipt => ({
  receiptId: `${callId}:VoiceCallReport:${n}`,
  accountId: 1,
  callId,
  type: 'VoiceCallReport',
  stream: 'http://127.0.0.1:9/r',
  payload: `{"n":${n}}`,
  nextAttemptAt: 100,
  createdAt: 100,
  ...extra,
});

export function receiptContract(f: StoreFactory): void {
  describe(`${f.name}: the receipt outbox`, () => {
    test('a receipt is appended once: its receipt id is unique', () =>
      withStore(f, async (s) => {
        assert.equal(await s.receipts.append(receipt('c1', 1)), true);
        assert.equal(await s.receipts.append(receipt('c1', 1)), false);
        const [r] = await s.receipts.listByCall('c1');
        assert.deepEqual(r, {
          ...receipt('c1', 1),
          id: r!.id,
          state: 'pending',
          attempts: 0,
          lastError: null,
          deliveredAt: null,
        });
      }));

    test('due receipts come oldest first; a call waits behind its earlier receipt to the same URL', () =>
      withStore(f, async (s) => {
        await s.receipts.append(receipt('c1', 1));
        await s.receipts.append(receipt('c1', 2));
        await s.receipts.append(receipt('c2', 1));
        await s.receipts.append(receipt('c1', 3, { stream: 'http://127.0.0.1:9/other' }));
        await s.receipts.append(receipt('c3', 1, { nextAttemptAt: 500 }));
        const due = async (now: number) => (await s.receipts.due(now, 100)).map((r) => r.receiptId);
        assert.deepEqual(await due(100), [
          'c1:VoiceCallReport:1',
          'c1:VoiceCallReport:2',
          'c2:VoiceCallReport:1',
          'c1:VoiceCallReport:3',
        ]);
        assert.equal((await s.receipts.due(100, 2)).length, 2, 'at most the limit');
        // c1's first receipt fails and is retried at 300: c1's second one (same URL) waits for it,
        // its receipt to another URL does not.
        const [first] = await s.receipts.listByCall('c1');
        await s.receipts.markFailed([first!.id], 'HTTP 500', 300);
        assert.deepEqual(await due(200), ['c2:VoiceCallReport:1', 'c1:VoiceCallReport:3']);
        assert.equal(await s.receipts.nextDueAt(200), 300);
        assert.deepEqual(await due(300), [
          'c1:VoiceCallReport:1',
          'c1:VoiceCallReport:2',
          'c2:VoiceCallReport:1',
          'c1:VoiceCallReport:3',
        ]);
        const failed = (await s.receipts.listByCall('c1'))[0]!;
        assert.equal(failed.attempts, 1);
        assert.equal(failed.lastError, 'HTTP 500');
        assert.equal(failed.nextAttemptAt, 300);
      }));

    test('delivered and abandoned receipts leave the queue', () =>
      withStore(f, async (s) => {
        await s.receipts.append(receipt('c1', 1));
        await s.receipts.append(receipt('c1', 2));
        await s.receipts.append(receipt('c2', 1));
        const [a, b] = await s.receipts.listByCall('c1');
        const [c] = await s.receipts.listByCall('c2');
        await s.receipts.markDelivered([a!.id, b!.id], 150);
        await s.receipts.markFailed([c!.id], 'no URL', undefined);
        await s.receipts.markDelivered([], 150);
        assert.deepEqual(await s.receipts.due(1000, 10), []);
        assert.equal(await s.receipts.nextDueAt(0), undefined);
        const [da] = await s.receipts.listByCall('c1');
        assert.equal(da!.state, 'delivered');
        assert.equal(da!.deliveredAt, 150);
        assert.equal(da!.attempts, 1);
        const [ab] = await s.receipts.listByCall('c2');
        assert.equal(ab!.state, 'abandoned');
        assert.equal(ab!.lastError, 'no URL');
      }));
  });
}

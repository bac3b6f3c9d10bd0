import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aCall } from './callContract.js';
import { type StoreFactory, withStore } from './storeFactory.js';

export function statsContract(f: StoreFactory): void {
  describe(`${f.name}: the console overview's counts`, () => {
    test('calls, CPS peaks, exchanges, latencies and receipts are counted per bucket', () =>
      withStore(f, async (s) => {
        const acc = (await s.accounts.create({ name: 'a', now: 1 })).id;
        const other = (await s.accounts.create({ name: 'b', now: 1 })).id;
        const ended = {
          state: 'ended' as const,
          trunk: 't1',
          statusCode: '200000',
          originateAt: 0,
          endAt: 0,
        };
        // Bucket 0 (1000..1999): two answered calls started in one second on t1.
        await s.calls.insert(
          aCall(acc, 1, { ...ended, createdAt: 1000, originateAt: 1100, answerAt: 1200, endAt: 4100 }),
        );
        await s.calls.insert(
          aCall(acc, 2, { ...ended, createdAt: 1500, originateAt: 1600, answerAt: 1700, endAt: 2600 }),
        );
        // Bucket 1: one in progress; another account's call.
        await s.calls.insert(
          aCall(acc, 3, { state: 'answered', trunk: 't1', createdAt: 2500, originateAt: 2600 }),
        );
        await s.calls.insert(
          aCall(other, 4, { state: 'dialing', trunk: 't2', createdAt: 2600, originateAt: 2700 }),
        );
        const ex = {
          callId: aCall(acc, 1).callId,
          contentType: 'normal',
          outcome: 'ok',
          httpStatus: 200,
          reply: null,
          action: null,
          detail: null,
        };
        await s.callbackExchanges.insert({
          ...ex,
          content: '{"asr_end_time":1150}',
          latencyMs: 30,
          createdAt: 1200,
        });
        await s.callbackExchanges.insert({
          ...ex,
          content: '{}',
          outcome: 'timeout',
          latencyMs: 10,
          createdAt: 1300,
        });
        await s.receipts.append({
          receiptId: 'r1',
          accountId: acc,
          callId: ex.callId,
          type: 'VoiceReport',
          stream: '',
          payload: '{}',
          nextAttemptAt: 0,
          createdAt: 777,
        });
        const o = await s.callStats.overview({ from: 1000, to: 3000, bucketMs: 1000 });
        const key = (r: { bucket: number; trunk: string | null; state: string }) =>
          `${r.bucket}/${r.trunk}/${r.state}`;
        assert.deepEqual(
          o.calls.map((r) => ({ ...r })).sort((a, b) => key(a).localeCompare(key(b))),
          [
            {
              bucket: 0,
              trunk: 't1',
              statusCode: '200000',
              state: 'ended',
              count: 2,
              answered: 2,
              busyMs: 3000 + 1000,
            },
            { bucket: 1, trunk: 't1', statusCode: null, state: 'answered', count: 1, answered: 0, busyMs: 0 },
            { bucket: 1, trunk: 't2', statusCode: null, state: 'dialing', count: 1, answered: 0, busyMs: 0 },
          ],
        );
        assert.deepEqual(
          o.cps.map((r) => ({ ...r })).sort((a, b) => a.bucket - b.bucket || a.trunk.localeCompare(b.trunk)),
          [
            { bucket: 0, trunk: 't1', peak: 2 },
            { bucket: 1, trunk: 't1', peak: 1 },
            { bucket: 1, trunk: 't2', peak: 1 },
          ],
        );
        assert.deepEqual(
          o.exchanges.map((r) => ({ ...r })),
          [{ bucket: 0, count: 2, failed: 1 }],
        );
        assert.deepEqual(o.callbackLatencyMs, [10, 30]);
        assert.deepEqual(o.speechToCallbackMs, [50]);
        assert.deepEqual(o.receipts, { pending: 1, oldestPendingAt: 777, abandoned: 0 });
        const inProgress = (rs: { trunk: string | null; count: number }[]) =>
          rs.map((r) => ({ ...r })).sort((a, b) => String(a.trunk).localeCompare(String(b.trunk)));
        assert.deepEqual(inProgress(o.inProgress), [
          { trunk: 't1', count: 1 },
          { trunk: 't2', count: 1 },
        ]);
        const mine = await s.callStats.overview({ from: 1000, to: 3000, bucketMs: 1000, accountId: other });
        assert.deepEqual(
          mine.calls.map((r) => r.trunk),
          ['t2'],
        );
        assert.deepEqual(mine.exchanges, []);
        assert.deepEqual(mine.receipts, { pending: 0, oldestPendingAt: null, abandoned: 0 });
        assert.deepEqual(inProgress(await s.callStats.inProgress(acc)), [{ trunk: 't1', count: 1 }]);
      }));
  });
}

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newQueuedCall } from '../../../src/calls/newCall.js';
import type { AsyncStore } from '../../../src/store/asyncStore.js';
import type { CallRecord } from '../../../src/store/records.js';
import { type StoreFactory, withStore } from './storeFactory.js';

export function aCall(accountId: number, n: number, extra: Partial<CallRecord> = {}): CallRecord {
  return {
    ...newQueuedCall({
      callId: `${String(100 + n).padStart(12, '0')}^${String(n).padStart(12, '0')}`,
      accountId,
      calledNumber: `1590000${String(n % 10_000).padStart(4, '0')}`,
      calledShowNumber: '057188880000',
      outId: `out-${n}`,
      dynamicId: null,
      request: '{}',
      createdAt: 1_000 + n,
    }),
    ...extra,
  };
}

async function account(s: AsyncStore): Promise<number> {
  return (await s.accounts.create({ name: 'acme', now: 1 })).id;
}

export function callContract(f: StoreFactory): void {
  describe(`${f.name}: calls and their state changes, callback exchanges`, () => {
    test('a call keeps every field, and a duplicate CallId is reported rather than thrown', () =>
      withStore(f, async (s) => {
        const acc = await account(s);
        const call = aCall(acc, 1);
        assert.equal(await s.calls.insert(call), true);
        assert.equal(await s.calls.insert(call), false);
        assert.deepEqual(await s.calls.find(call.callId), call);
        assert.equal(await s.calls.find('nope'), undefined);
        assert.deepEqual(await s.calls.countByState(), { queued: 1 });
      }));

    test('a call moves through its states; each change lands and the rest stays', () =>
      withStore(f, async (s) => {
        const acc = await account(s);
        const call = aCall(acc, 1);
        await s.calls.insert(call);
        assert.equal(
          await s.calls.update(call.callId, { state: 'dialing', originateAt: 2000, trunk: 't1' }),
          true,
        );
        await s.calls.update(call.callId, { state: 'ringing', ringAt: 2100 });
        await s.calls.update(call.callId, { state: 'answered', answerAt: 2500, dtmf: '12#' });
        await s.calls.update(call.callId, {
          state: 'ended',
          endAt: 9000,
          statusCode: '200000',
          smartStatusCode: '0',
          statusMsg: 'ok',
          hangupDirection: 'callee',
          sipStatus: null,
          recordPath: '/r/x.wav',
          recordBeginAt: 2600,
          earlyMediaCode: null,
          parallelLegHangupCause: '200010',
          dynamicId: 'dyn',
          sipReason: null,
        });
        assert.deepEqual(await s.calls.find(call.callId), {
          ...call,
          state: 'ended',
          originateAt: 2000,
          trunk: 't1',
          ringAt: 2100,
          answerAt: 2500,
          dtmf: '12#',
          endAt: 9000,
          statusCode: '200000',
          smartStatusCode: '0',
          statusMsg: 'ok',
          hangupDirection: 'callee',
          recordPath: '/r/x.wav',
          recordBeginAt: 2600,
          parallelLegHangupCause: '200010',
          dynamicId: 'dyn',
        });
        assert.equal(await s.calls.update('nope', { state: 'failed' }), false);
        assert.equal(await s.calls.update(call.callId, {}), true, 'an empty change of a known call');
        assert.equal(await s.calls.update('nope', {}), false);
        await assert.rejects(
          s.calls.update(call.callId, { callId: 'x' } as never),
          /not a changeable call field/,
        );
      }));

    test('calls by state come oldest first, at most the limit', () =>
      withStore(f, async (s) => {
        const acc = await account(s);
        for (const n of [3, 1, 2, 4]) await s.calls.insert(aCall(acc, n));
        await s.calls.update(aCall(acc, 4).callId, { state: 'answered' });
        assert.deepEqual(
          (await s.calls.listByState(['queued'])).map((c) => c.createdAt),
          [1001, 1002, 1003],
        );
        assert.deepEqual(
          (await s.calls.listByState(['queued', 'answered'], 2)).map((c) => c.createdAt),
          [1001, 1002],
        );
        assert.deepEqual(await s.calls.listByState([]), []);
        assert.deepEqual(await s.calls.countByState(), { queued: 3, answered: 1 });
      }));

    test('the call list pages newest first by keyset and combines its filters', () =>
      withStore(f, async (s) => {
        const acc = await account(s);
        const other = (await s.accounts.create({ name: 'other', now: 1 })).id;
        for (let n = 1; n <= 7; n++) await s.calls.insert(aCall(n === 7 ? other : acc, n));
        await s.calls.insert(aCall(acc, 8, { createdAt: 1007 })); // same time as call 7: CallId breaks the tie
        await s.calls.update(aCall(acc, 2).callId, { state: 'failed', statusCode: '200005' });
        const ids = (cs: CallRecord[]) => cs.map((c) => Number(c.callId.split('^')[1]));
        const first = await s.calls.page({}, undefined, 3);
        assert.deepEqual(ids(first), [8, 7, 6]);
        const last = first.at(-1)!;
        assert.deepEqual(
          ids(await s.calls.page({}, { createdAt: last.createdAt, callId: last.callId }, 3)),
          [5, 4, 3],
        );
        assert.deepEqual(ids(await s.calls.page({ accountId: acc }, undefined, 100)), [8, 6, 5, 4, 3, 2, 1]);
        assert.deepEqual(ids(await s.calls.page({ accountId: other }, undefined, 100)), [7]);
        assert.deepEqual(
          ids(await s.calls.page({ state: 'failed', statusCode: '200005' }, undefined, 10)),
          [2],
        );
        assert.deepEqual(ids(await s.calls.page({ from: 1003, to: 1005 }, undefined, 10)), [4, 3]);
        assert.deepEqual(ids(await s.calls.page({ outId: 'out-5' }, undefined, 10)), [5]);
        assert.deepEqual(ids(await s.calls.page({ calledNumber: '15900000006' }, undefined, 10)), [6]);
        assert.deepEqual(
          ids(await s.calls.page({ callId: aCall(acc, 3).callId, accountId: acc }, undefined, 10)),
          [3],
        );
      }));

    test('calls to one callee are counted per scripted action since each instant', () =>
      withStore(f, async (s) => {
        const acc = await account(s);
        const tts = JSON.stringify({ script: { action: 'SingleCallByTts' } });
        await s.calls.insert(aCall(acc, 1, { calledNumber: '15900001111', createdAt: 100, request: tts }));
        await s.calls.insert(aCall(acc, 2, { calledNumber: '15900001111', createdAt: 200, request: tts }));
        await s.calls.insert(aCall(acc, 3, { calledNumber: '15900001111', createdAt: 300 }));
        await s.calls.insert(aCall(acc, 4, { calledNumber: '15900002222', createdAt: 300, request: tts }));
        assert.deepEqual(
          await s.calls.countToCallee(acc, '15900001111', 'SingleCallByTts', [50, 150, 250]),
          [2, 1, 0],
        );
        assert.deepEqual(await s.calls.countToCallee(acc, '15900001111', 'SmartCall', [0]), [1]);
        assert.deepEqual(await s.calls.countToCallee(acc, '15900003333', 'SmartCall', [0, 1]), [0, 0]);
        assert.deepEqual(await s.calls.countToCallee(acc, '15900001111', 'SmartCall', []), []);
      }));

    test('a call refers to an existing account', () =>
      withStore(f, async (s) => {
        await assert.rejects(s.calls.insert(aCall(999_999, 1)));
      }));

    test('callback exchanges of a call come back in the order they happened', () =>
      withStore(f, async (s) => {
        const e = {
          callId: 'c1',
          contentType: 'normal',
          content: '{"asr_end_time":5}',
          outcome: 'ok',
          httpStatus: 200,
          reply: '{"action":"play"}',
          action: 'play (reply)',
          detail: null,
          latencyMs: 12,
          createdAt: 50,
        };
        await s.callbackExchanges.insert(e);
        await s.callbackExchanges.insert({
          ...e,
          contentType: 'hangup',
          outcome: 'timeout',
          httpStatus: null,
          createdAt: 40,
        });
        await s.callbackExchanges.insert({ ...e, callId: 'c2' });
        const list = await s.callbackExchanges.listByCall('c1');
        assert.deepEqual(list[0], e);
        assert.deepEqual(
          list.map((x) => x.contentType),
          ['normal', 'hangup'],
        );
      }));
  });
}

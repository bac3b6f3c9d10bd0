/**
 * QueryCallDetailByCallId `Data` (spec §6.1) through the real client libraries: `stateDesc`
 * repeats the code as the samples do, and `aRingTime`/`aEndTime` give the A leg (smartcall's own
 * side) beside the callee's `bRingTime`/`bEndTime`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CLIENTS, callAction } from '../helpers/aliClients.js';
import { type ApiHarness, CALLEE, DISPLAY_NUMBER, startApiHarness } from '../helpers/apiHarness.js';

let api: ApiHarness;
before(async () => {
  // API only: the calls stay as this test writes them.
  api = await startApiHarness({ calls: { dialer: false } });
});
after(() => api.close());

const creds = () => ({
  endpoint: api.endpoint,
  accessKeyId: api.accessKeyId,
  accessKeySecret: api.accessKeySecret,
});

async function placedCall(): Promise<string> {
  const r = await callAction('core', creds(), 'SmartCall', {
    CalledShowNumber: DISPLAY_NUMBER,
    CalledNumber: CALLEE,
    VoiceCode: '$t$',
    VoiceCodeParam: '{"t":"您好"}',
  });
  assert.equal(r.code, 'OK');
  return String(r.body!.CallId);
}

// The call's times (its creation, which the QueryDate window looks at, stays today): 2024-05-01
// 10:00:00 China time.
const T0 = Date.UTC(2024, 4, 1, 2, 0, 0);

async function detail(client: (typeof CLIENTS)[number], callId: string) {
  const q = await callAction(client, creds(), 'QueryCallDetailByCallId', {
    CallId: callId,
    ProdId: '11030000180001',
    QueryDate: String(Date.now()),
  });
  assert.equal(q.code, 'OK', client);
  return JSON.parse(String(q.body!.Data)) as Record<string, string | number>;
}

test('an answered call: stateDesc is the code; the A leg rang from the dial to the answer', async () => {
  const callId = await placedCall();
  api.running.store.calls.update(callId, {
    state: 'ended',
    originateAt: T0,
    ringAt: T0 + 1000,
    answerAt: T0 + 5000,
    endAt: T0 + 40_000,
    statusCode: '200000',
    smartStatusCode: 'ANSWERED',
    statusMsg: '执行完成',
  });
  for (const client of CLIENTS) {
    const data = await detail(client, callId);
    assert.deepEqual(
      [data.state, data.stateDesc, data.aRingTime, data.aEndTime, data.bRingTime, data.bEndTime],
      [
        '200000',
        '200000',
        '2024-05-01 10:00:00',
        '2024-05-01 10:00:05',
        '2024-05-01 10:00:01',
        '2024-05-01 10:00:05',
      ],
      client,
    );
  }
});

test('an unanswered call: the A leg rang until the attempt ended; stateDesc is its code', async () => {
  const callId = await placedCall();
  api.running.store.calls.update(callId, {
    state: 'failed',
    originateAt: T0,
    ringAt: T0 + 2000,
    endAt: T0 + 62_000,
    statusCode: '200003',
    smartStatusCode: 'NO_ANSWER',
    statusMsg: '振铃未接听',
  });
  const data = await detail('core', callId);
  assert.deepEqual(
    [data.state, data.stateDesc, data.aRingTime, data.aEndTime, data.startDate, data.endDate],
    ['200003', '200003', '2024-05-01 10:00:00', '2024-05-01 10:01:02', '', ''],
  );
});

test('a call still queued has empty A-leg times and its progress code as stateDesc', async () => {
  const callId = await placedCall();
  const data = await detail('v3', callId);
  assert.deepEqual([data.state, data.stateDesc, data.aRingTime, data.aEndTime], ['200101', '200101', '', '']);
});

/**
 * A SmartCall with DialogId holds a whole conversation run by the shipped survey script (issue 16
 * item 3): the official client library → smartcall → the virtual phone network's callees, with no
 * callback server involved. One callee cooperates (speaks, presses a key), one stays silent.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DialogLibrary } from '../../src/dialogue/dialogLibrary.js';
import { callAction } from '../helpers/aliClients.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';
import { laneRtpPorts } from '../helpers/lanes.js';

let e2e: E2e;

before(async () => {
  e2e = await startE2e({
    phonenet: {
      sipPort: 0,
      ...laneRtpPorts('phonenet'),
      personasFiles: [join(process.cwd(), 'test/fixtures/e2e/dialogPersonas.yaml')],
    },
  });
  const account = e2e.admin.account('demo').id;
  new DialogLibrary(e2e.running.store).add(account, 'examples/dialogs/survey.zh.yaml', { id: 'survey' });
  e2e.admin.setReceipts('demo', {
    url: 'http://127.0.0.1:9/receipts',
    types: ['VoiceCallReport', 'VoiceReport'],
  });
});
after(() => e2e.close());

/** Places a survey call; resolves with its record, the prompts played, the nodes walked. */
async function survey(calledNumber: string) {
  const r = await e2e.smartCall({
    CalledNumber: calledNumber,
    DialogId: 'survey',
    VoiceCodeParam: JSON.stringify({ company: '好运来' }),
    MuteTime: '2000',
    OutId: `dlg-${calledNumber.slice(-2)}`,
  });
  assert.equal(r.code, 'OK', JSON.stringify(r));
  const callId = String(r.body!.CallId);
  const said: string[] = [];
  const onSaid = (e: { callId: string; texts: string[] }) =>
    e.callId === callId && said.push(e.texts.join(''));
  e2e.running.events.on('said', onSaid);
  try {
    const record = await e2e.waitForEnd(callId, 50_000);
    const exchanges = e2e.running.store.callbackExchanges.listByCall(callId);
    const path = exchanges.flatMap((x) => (JSON.parse(x.detail ?? '{}') as { nodes?: string[] }).nodes ?? []);
    const receipts = e2e.running.store.receipts.listByCall(callId).map(
      (x): Record<string, string> => ({
        ...(JSON.parse(x.payload) as Record<string, string>),
        type: x.type,
      }),
    );
    return { callId, record, said, path, exchanges, receipts };
  } finally {
    e2e.running.events.off('said', onSaid);
  }
}

describe('scripted dialogs with virtual callees', { concurrency: true }, () => {
  test('a cooperative callee: satisfied by voice, a score key, thanks, and the platform hangs up', async () => {
    const { callId, record, said, path, receipts } = await survey('13900000061');
    assert.deepEqual(path, ['greet', 'score', 'check-score', 'thanks']);
    assert.equal(said.length, 3, JSON.stringify(said));
    assert.match(said[0]!, /^您好，这里是好运来回访。您对我们的服务满意吗/);
    assert.match(said[1]!, /^请为本次服务打分/);
    assert.equal(said[2], '感谢您的宝贵意见，再见！');
    assert.equal(record.statusCode, '200000');
    assert.equal(record.hangupDirection, '机器');
    assert.equal(record.dtmf, '5');
    const report = receipts.find((x) => x.type === 'VoiceReport');
    assert.equal(report?.dialog_id, 'survey');
    assert.equal(report?.status_code, '200000');
    assert.equal(report?.out_id, 'dlg-61');
    assert.ok(
      receipts.some((x) => x.type === 'VoiceCallReport' && x.status_code === '300000' && x.dtmf === '5'),
    );
    assert.deepEqual(e2e.callbacks.forCall(callId), [], 'no callback went to a business server');
  });

  test('a silent callee: asked again once, then the goodbye, and the platform hangs up', async () => {
    const { callId, record, said, path, exchanges, receipts } = await survey('13900000062');
    assert.deepEqual(path, ['greet', 'no-answer']);
    assert.equal(said.length, 3, JSON.stringify(said));
    assert.match(said[1]!, /^不好意思，没有听到您的声音。您好，这里是好运来回访/);
    assert.equal(said[2], '不好意思，没有听到您的声音。我们稍后再联系您，再见。');
    assert.deepEqual(
      exchanges.map((x) => x.contentType),
      ['opening', 'mute', 'mute'],
    );
    assert.equal(record.statusCode, '200000');
    assert.equal(record.hangupDirection, '机器');
    assert.equal(receipts.find((x) => x.type === 'VoiceReport')?.dialog_id, 'survey');
    assert.deepEqual(e2e.callbacks.forCall(callId), []);
  });

  test("BatchRobotSmartCall with a DialogId that names the script runs it for the task's numbers", async () => {
    const created = await callAction(
      'core',
      { endpoint: e2e.endpoint, accessKeyId: e2e.accessKeyId, accessKeySecret: e2e.accessKeySecret },
      'BatchRobotSmartCall',
      {
        CalledShowNumber: e2e.displayNumber,
        CalledNumber: '13900000062',
        DialogId: 'survey',
        TaskName: '脚本批量',
        TtsParamHead: '["company"]',
        TtsParam: '[{"number":"all","params":["好运来"]}]',
      },
    );
    assert.equal(created.code, 'OK', JSON.stringify(created));
    const { store } = e2e.running;
    const taskId = Number(created.body!.TaskId);
    let callId: string | null = null;
    const deadline = Date.now() + 20_000;
    while (!callId && Date.now() < deadline) {
      callId = store.campaigns.rows(taskId)[0]?.lastCallId ?? null;
      if (!callId) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(callId, 'the task placed its call');
    const record = await e2e.waitForEnd(callId, 50_000);
    const exchanges = store.callbackExchanges.listByCall(callId);
    const path = exchanges.flatMap((x) => (JSON.parse(x.detail ?? '{}') as { nodes?: string[] }).nodes ?? []);
    assert.deepEqual(path, ['greet', 'no-answer'], 'the script ran the call');
    assert.equal(record.statusCode, '200000');
    assert.deepEqual(e2e.callbacks.forCall(callId), [], 'no callback went to a business server');
  });
});

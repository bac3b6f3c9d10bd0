import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeCallbackParams } from '../../src/contract/callbackContent.js';
import {
  parseCallbackReply,
  parseCallinReply,
  ReplyError,
  type ReplyErrorCode,
} from '../../src/contract/callbackReply.js';

test('a callin callback goes out as content_type=callin with caller, callee and orgcallee', () => {
  const params = new URLSearchParams(
    encodeCallbackParams({
      callId: '116012854210^102814270001',
      timestamp: 1714528812345,
      event: {
        type: 'callin',
        content: { caller: '13711112222', callee: '057188880000', orgcallee: '057122223333' },
      },
    }),
  );
  assert.equal(params.get('content_type'), 'callin');
  assert.equal(params.get('call_id'), '116012854210^102814270001');
  assert.deepEqual(JSON.parse(params.get('content')!), {
    caller: '13711112222',
    callee: '057188880000',
    orgcallee: '057122223333',
  });
});

test('the documented answer reply parses with every inbound field', () => {
  const { action } = parseCallinReply(
    JSON.stringify({
      result: 'success',
      msg: '成功',
      code: 200,
      data: {
        call_id: '116012854210^102814270001',
        action: 'answer',
        action_code: '$tts$',
        action_code_param: '{"tts":"你好,这里是客服"}',
        action_code_break: 'false',
        action_code_time_break: 500,
        record_flag: true,
        session_timeout: 120,
        asr_base_id: 'customer_service_8k',
        asr_model_id: 'model-1',
        tts_conf: true,
        tts_style: 'xiaoyun',
        tts_volume: '80',
        tts_speed: -100,
        mute_time: 8000,
        pause_time: 600,
        dynamic_id: 'welcome',
      },
    }),
  );
  if (action.action !== 'answer') assert.fail(`parsed as ${action.action}`);
  assert.equal(action.actionCode, '$tts$');
  assert.deepEqual(action.actionCodeParam, { tts: '你好,这里是客服' });
  assert.equal(action.actionCodeBreak, false);
  assert.equal(action.actionCodeTimeBreak, 500);
  assert.equal(action.recordFlag, true);
  assert.equal(action.sessionTimeout, 120);
  assert.equal(action.asrBaseId, 'customer_service_8k');
  assert.equal(action.asrModelId, 'model-1');
  assert.deepEqual(action.tts, { style: 'xiaoyun', volume: 80, speed: -100 });
  assert.equal(action.muteTime, 8000);
  assert.equal(action.pauseTime, 600);
  assert.equal(action.dynamicId, 'welcome');
});

test('an answer without action_code answers and plays nothing; hangup refuses the call', () => {
  const answer = parseCallinReply('{"result":"success","data":{"action":"answer"}}').action;
  assert.equal(answer.action, 'answer');
  assert.equal(answer.actionCode, undefined);
  const hangup = parseCallinReply('{"data":{"action":"hangup"}}').action;
  assert.equal(hangup.action, 'hangup');
});

test('a callin reply that is not answer or hangup, or is malformed, is refused with a code', () => {
  const cases: [string, ReplyErrorCode, RegExp][] = [
    [
      '{"result":"success","data":{"action":"play","action_code":"a.wav"}}',
      'unknown-action',
      /answer or hangup/,
    ],
    ['{"result":"success","data":{}}', 'unknown-action', /answer or hangup/],
    ['{"result":"fail","msg":"closed"}', 'fail-result', /closed/],
    ['not json', 'not-json', /not JSON/],
    ['{"result":"success","data":{"action":"answer","record_flag":"maybe"}}', 'bad-field', /record_flag/],
    ['{"result":"success","data":{"action":"answer","asr_base_id":"x"}}', 'bad-field', /asr_base_id/],
    [
      '{"result":"success","data":{"action":"answer","tts_conf":true,"tts_style":"nobody"}}',
      'bad-field',
      /tts_style/,
    ],
  ];
  for (const [body, code, message] of cases) {
    assert.throws(
      () => parseCallinReply(body),
      (err: unknown) => err instanceof ReplyError && err.code === code && message.test(err.message),
      body,
    );
  }
});

test('answer is refused as a reply to any other callback', () => {
  assert.throws(
    () => parseCallbackReply('{"result":"success","data":{"action":"answer","action_code":"a.wav"}}'),
    (err: unknown) =>
      err instanceof ReplyError && err.code === 'unknown-action' && /callin only/.test(err.message),
  );
});

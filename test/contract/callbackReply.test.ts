import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCallbackReply, ReplyError, type ReplyErrorCode } from '../../src/contract/callbackReply.js';
import { CallbackPolicy } from '../../src/dialogue/callbackPolicy.js';

test('the documented play reply parses with every field', () => {
  const { action } = parseCallbackReply(
    JSON.stringify({
      result: 'success',
      msg: '成功',
      data: {
        call_id: '116012854210^102814270001',
        action: 'play',
        action_code: '2d4c-4e78-8d2a-afbb06cf0003.wav,$name$',
        action_code_param: '{"name":"您的订单已发货"}',
        action_break: true,
        action_code_break: true,
        action_code_time_break: 800,
        mute_time: 8000,
        dynamic_id: 'step-2',
      },
    }),
  );
  if (action.action !== 'play') assert.fail(`parsed as ${action.action}`);
  assert.equal(action.actionCode, '2d4c-4e78-8d2a-afbb06cf0003.wav,$name$');
  assert.deepEqual(action.actionCodeParam, { name: '您的订单已发货' });
  assert.equal(action.actionCodeTimeBreak, 800);
  assert.equal(action.muteTime, 8000);
  assert.equal(action.dynamicId, 'step-2');
});

test('string forms of booleans and numbers are accepted, defaults filled in', () => {
  const { action } = parseCallbackReply(
    '{"result":"success","data":{"action":"dtmf","dtmf_nonin_overtime":"5","dtmf_max_numbers":"1","dtmf_end_character":"#","action_break":"false"}}',
  );
  if (action.action !== 'dtmf') assert.fail(`parsed as ${action.action}`);
  assert.deepEqual(action.dtmf, { noInputTimeoutS: 5, maxDigits: 1, endCharacter: '#' });
  assert.equal(action.actionBreak, false);
  assert.equal(action.actionCodeBreak, true);
  const clamped = parseCallbackReply(
    '{"result":"success","data":{"action":"dtmf","dtmf_nonin_overtime":999}}',
  ).action;
  if (clamped.action !== 'dtmf') assert.fail(`parsed as ${clamped.action}`);
  assert.equal(clamped.dtmf.noInputTimeoutS, 60);
  assert.equal(parseCallbackReply('{"data":{"action":"hangup","mute_time":50}}').action.muteTime, 10000);
});

test('unusable replies are refused with a code and the reason', () => {
  const cases: [string, ReplyErrorCode, RegExp][] = [
    ['not json', 'not-json', /not JSON/],
    ['[1,2]', 'not-object', /not a JSON object/],
    ['{"result":"fail","msg":"busy"}', 'fail-result', /result is "fail": busy/],
    ['{"result":"success"}', 'no-data', /no data object/],
    ['{"result":"success","data":{"action":"dance"}}', 'unknown-action', /unknown action/],
    ['{"result":"success","data":{"action":"play"}}', 'missing-field', /play needs action_code/],
    ['{"result":"success","data":{"action":"transfer"}}', 'missing-field', /transfer needs number/],
    [
      '{"result":"success","data":{"action":"play","action_code":"a.wav","action_break":{}}}',
      'bad-field',
      /action_break must be a boolean/,
    ],
    [
      '{"result":"success","data":{"action":"play","action_code":"a.wav","mute_time":"soon"}}',
      'bad-field',
      /mute_time must be an integer/,
    ],
    ['{"data":{"action":"dtmf","dtmf_end_character":"0"}}', 'bad-field', /dtmf_end_character/],
    ['{"data":{"action":"transfer","number":"1","action_break":"no"}}', 'bad-field', /action_break/],
  ];
  for (const [body, code, reason] of cases)
    assert.throws(
      () => parseCallbackReply(body),
      (err) => err instanceof ReplyError && err.code === code && reason.test(err.message),
      body,
    );
});

test('each action carries the fields it needs and only those', () => {
  const parse = (data: object) => parseCallbackReply(JSON.stringify({ result: 'success', data })).action;
  const transfer = parse({ action: 'transfer', number: '13711111111', dynamic_id: 'x' });
  assert.deepEqual(transfer, { action: 'transfer', number: '13711111111', dynamicId: 'x' });
  const parallel = parse({ action: 'parallel_transfer', cc_name: 'aliyun_cc', is_monitor: 'true' });
  assert.deepEqual(parallel, {
    action: 'parallel_transfer',
    transfer: { isMonitor: true, ccName: 'aliyun_cc' },
  });
  assert.deepEqual(parse({ action: 'donothing', action_code: 'ignored.wav' }), { action: 'donothing' });
  const hangup = parse({ action: 'hangup', action_code: 'bye.wav' });
  if (hangup.action !== 'hangup') assert.fail(`parsed as ${hangup.action}`);
  assert.equal(hangup.actionCode, 'bye.wav');
  const dtmf = parse({ action: 'dtmf' });
  if (dtmf.action !== 'dtmf') assert.fail(`parsed as ${dtmf.action}`);
  assert.equal(dtmf.actionCode, undefined, 'a dtmf without a prompt');
  assert.deepEqual(dtmf.dtmf, { noInputTimeoutS: 3, maxDigits: 1, endCharacter: '' });
});

test('an unknown tts_style refuses the reply as TtsStyle refuses the request, naming the voice', () => {
  const reply = (data: object) => JSON.stringify({ result: 'success', data: { action: 'play', ...data } });
  assert.throws(
    () => parseCallbackReply(reply({ action_code: '$t$', tts_conf: true, tts_style: 'hal9000' })),
    (err) =>
      err instanceof ReplyError &&
      err.code === 'bad-field' &&
      /tts_style "hal9000" is not a known voice/.test(err.message),
  );
  // Like the request's TtsStyle, the value counts only under tts_conf.
  const ignored = parseCallbackReply(reply({ action_code: '$t$', tts_conf: false, tts_style: 'hal9000' }));
  assert.equal(ignored.action.tts, undefined);
});

test('every vendor voice is accepted in tts_style, spelled as the voice list spells it', () => {
  for (const name of ['xiaomeng', 'xiaowei', 'amei', 'xiaoxue', 'xiaoyan', 'XiaoYun']) {
    const { action } = parseCallbackReply(
      JSON.stringify({ data: { action: 'play', action_code: '$t$', tts_conf: 'true', tts_style: name } }),
    );
    assert.deepEqual(action.tts, { style: name.toLowerCase() }, name);
  }
});

test('a dynamic_id with forbidden characters is dropped with a warning', () => {
  const r = parseCallbackReply('{"result":"success","data":{"action":"donothing","dynamic_id":"a=b"}}');
  assert.equal(r.action.dynamicId, undefined);
  assert.match(r.warnings[0]!, /dropped/);
});

test('without a fallback a failure is donothing, a mute failure or a third failure hangs up', () => {
  const p = new CallbackPolicy(null);
  assert.equal(p.failed('normal').action.action, 'donothing');
  p.succeeded();
  assert.equal(p.failed('mute').action.action, 'hangup');
  const q = new CallbackPolicy(null);
  q.failed('normal');
  q.failed('normal');
  assert.equal(q.failed('normal').reason, 'hangup');
});

test('with a fallback reply a failure plays it, until three in a row hang up', () => {
  const p = new CallbackPolicy(
    '{"action":"play","action_code":"$sorry$","action_code_param":{"sorry":"抱歉"}}',
  );
  const first = p.failed('mute');
  assert.equal(first.reason, 'fallback');
  if (first.action.action !== 'play') assert.fail(`fallback parsed as ${first.action.action}`);
  assert.equal(first.action.actionCode, '$sorry$');
  p.failed('normal');
  assert.equal(p.failed('normal').action.action, 'hangup');
});

test('session_timeout is the new maximum duration in seconds, as SessionTimeout: at most 3600, ≤ 0 means 3600', () => {
  const timeout = (v: unknown) =>
    parseCallbackReply(JSON.stringify({ data: { action: 'donothing', session_timeout: v } })).action
      .sessionTimeout;
  assert.equal(timeout(120), 120);
  assert.equal(timeout('90'), 90);
  assert.equal(timeout(7200), 3600);
  assert.equal(timeout(0), 3600);
  assert.equal(timeout(-5), 3600);
  assert.equal(timeout(undefined), undefined);
});

test('asr_model_id, asr_base_id and record_flag are read on any action; a base model outside the two refuses the reply', () => {
  const { action } = parseCallbackReply(
    JSON.stringify({
      result: 'success',
      data: {
        action: 'play',
        action_code: 'a.wav',
        asr_model_id: '2070aca1eff146f9a7bc826f1c3d0001',
        asr_base_id: 'dialect_customer_service_8k',
        record_flag: 'true',
      },
    }),
  );
  assert.equal(action.asrModelId, '2070aca1eff146f9a7bc826f1c3d0001');
  assert.equal(action.asrBaseId, 'dialect_customer_service_8k');
  assert.equal(action.recordFlag, true);
  const plain = parseCallbackReply(
    '{"data":{"action":"donothing","record_flag":false,"asr_model_id":""}}',
  ).action;
  assert.equal(plain.recordFlag, false);
  assert.equal(plain.asrModelId, undefined, 'empty means no change');
  assert.equal(parseCallbackReply('{"data":{"action":"donothing"}}').action.recordFlag, undefined);
  assert.throws(
    () => parseCallbackReply('{"data":{"action":"donothing","asr_base_id":"english_16k"}}'),
    (e: unknown) => e instanceof ReplyError && e.code === 'bad-field',
  );
  assert.throws(
    () => parseCallbackReply('{"data":{"action":"donothing","record_flag":"yes"}}'),
    (e: unknown) => e instanceof ReplyError && e.code === 'bad-field',
  );
});

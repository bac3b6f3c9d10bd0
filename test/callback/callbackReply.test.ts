import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCallbackReply } from '../../src/callback/callbackReply.js';
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
  assert.equal(action.action, 'play');
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
  assert.deepEqual(action.dtmf, { noInputTimeoutS: 5, maxDigits: 1, endCharacter: '#' });
  assert.equal(action.actionBreak, false);
  assert.equal(action.actionCodeBreak, true);
  const clamped = parseCallbackReply(
    '{"result":"success","data":{"action":"dtmf","dtmf_nonin_overtime":999}}',
  ).action;
  assert.equal(clamped.dtmf!.noInputTimeoutS, 60);
  assert.equal(parseCallbackReply('{"data":{"action":"hangup","mute_time":50}}').action.muteTime, 10000);
});

test('unusable replies are refused with the reason', () => {
  const cases: [string, RegExp][] = [
    ['not json', /not JSON/],
    ['[1,2]', /not a JSON object/],
    ['{"result":"fail","msg":"busy"}', /result is "fail": busy/],
    ['{"result":"success","data":{"action":"dance"}}', /unknown action/],
    ['{"result":"success","data":{"action":"play"}}', /play needs action_code/],
    ['{"result":"success","data":{"action":"transfer"}}', /transfer needs number/],
    [
      '{"result":"success","data":{"action":"play","action_code":"a.wav","action_break":{}}}',
      /action_break must be a boolean/,
    ],
    [
      '{"result":"success","data":{"action":"play","action_code":"a.wav","mute_time":"soon"}}',
      /mute_time must be an integer/,
    ],
  ];
  for (const [body, reason] of cases) assert.throws(() => parseCallbackReply(body), reason, body);
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
  assert.equal(first.action.actionCode, '$sorry$');
  p.failed('normal');
  assert.equal(p.failed('normal').action.action, 'hangup');
});

/**
 * Whole SmartCall conversations: the official client library → smartcall → the virtual phone
 * network's callees → the business's callback (a test server with scripted replies). Each test is
 * one call; they run side by side on one smartcall.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { callAction } from '../helpers/aliClients.js';
import { type E2e, type ReceivedCallback, startE2e } from '../helpers/e2eHarness.js';
import { laneRtpPorts } from '../helpers/lanes.js';

let e2e: E2e;
type Script = (cb: ReceivedCallback, mine: ReceivedCallback[]) => unknown;
const scripts = new Map<string, Script>();

async function setUp(): Promise<void> {
  e2e = await startE2e({
    phonenet: {
      sipPort: 0,
      ...laneRtpPorts('phonenet'),
      personasFiles: [join(process.cwd(), 'test/fixtures/e2e/personas.yaml')],
    },
  });
  e2e.callbacks.script = (cb) => {
    const script = scripts.get(cb.callId);
    return script ? script(cb, e2e.callbacks.forCall(cb.callId)) : { action: 'donothing' };
  };
}

const tts = (text: string) => ({ VoiceCode: '$t$', VoiceCodeParam: JSON.stringify({ t: text }) });
const say = (text: string, extra: Record<string, unknown> = {}) => ({
  action: 'play',
  action_code: '$t$',
  action_code_param: JSON.stringify({ t: text }),
  ...extra,
});

/** Places a call whose callbacks `script` answers; resolves with its final record and callbacks. */
async function conversation(params: Record<string, string>, script: Script, timeoutMs = 60_000) {
  const r = await e2e.smartCall(params);
  assert.equal(r.code, 'OK', JSON.stringify(r));
  const callId = String(r.body!.CallId);
  scripts.set(callId, script);
  const said: { at: number; texts: string[] }[] = [];
  const interrupted: number[] = [];
  const onSaid = (e: { callId: string; at: number; texts: string[] }) => e.callId === callId && said.push(e);
  const onInterrupted = (e: { callId: string; at: number }) => e.callId === callId && interrupted.push(e.at);
  e2e.running.events.on('said', onSaid);
  e2e.running.events.on('interrupted', onInterrupted);
  try {
    const record = await e2e.waitForEnd(callId, timeoutMs);
    return { callId, record, callbacks: e2e.callbacks.forCall(callId), said, interrupted };
  } finally {
    e2e.running.events.off('said', onSaid);
    e2e.running.events.off('interrupted', onInterrupted);
  }
}

describe('SmartCall conversations with virtual callees', { concurrency: true }, () => {
  before(setUp);
  after(() => e2e.close());

  test('a recognised sentence reaches the callback with every normal field, and the reply is carried out', async () => {
    const { record, callbacks, said } = await conversation(
      {
        CalledNumber: '13900000026',
        ...tts('您好，请问您是张三吗？'),
        DynamicId: 'step-1',
        RecordFlag: 'false',
      },
      (_cb, mine) =>
        mine.length === 1
          ? say('好的，您的订单已发货。', { dynamic_id: 'step-2' })
          : { action: 'hangup', action_code: '$t$', action_code_param: '{"t":"再见"}' },
    );
    const normal = callbacks.filter((c) => c.contentType === 'normal');
    assert.ok(normal.length >= 2, `callbacks: ${JSON.stringify(callbacks.map((c) => c.contentType))}`);
    const first = normal[0]!.content;
    assert.equal(typeof first.words, 'string');
    assert.ok((first.words as string).length > 0);
    for (const f of [
      'begin_offset',
      'end_offset',
      'asr_begin_time',
      'asr_end_time',
      'play_begin_time',
      'play_end_time',
    ]) {
      assert.match(String(first[f]), /^\d+$/, f);
    }
    assert.match(String(first.begin_time), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.ok(Number(first.end_offset) > Number(first.begin_offset));
    assert.equal(first.is_playing, false);
    assert.equal(first.current_media_code, '', 'nothing plays when the sentence ends (issue 11 item 7)');
    assert.equal(first.dynamic_id, 'step-1');
    assert.equal(first.role, 'B');
    assert.equal(first.identity, '13900000026');
    assert.equal(normal[1]!.content.dynamic_id, 'step-2', 'the reply set the next dynamic_id');
    assert.deepEqual(
      said.map((s) => s.texts.join('')),
      ['您好，请问您是张三吗？', '好的，您的订单已发货。', '再见'],
    );
    assert.equal(record.statusCode, '200000');
    assert.equal(record.smartStatusCode, 'ANSWERED');
    assert.equal(record.hangupDirection, '机器');
  });

  test('silence gives mute after MuteTime, and a reply mute_time replaces it (latest wins)', async () => {
    const { callbacks } = await conversation(
      { CalledNumber: '13900000022', ...tts('您好'), MuteTime: '2000' },
      (_cb, mine) =>
        mine.length === 1
          ? { action: 'donothing', mute_time: 1000, dynamic_id: 'short' }
          : { action: 'hangup' },
    );
    assert.deepEqual(
      callbacks.map((c) => c.contentType),
      ['mute', 'mute'],
    );
    assert.deepEqual(callbacks[1]!.content, { dynamic_id: 'short' });
    const gap = callbacks[1]!.at - callbacks[0]!.at;
    assert.ok(gap >= 900 && gap < 1800, `second mute ${gap} ms after the first`);
  });

  test('a dtmf action collects keys until the end character and reports them', async () => {
    const { callbacks, record } = await conversation(
      { CalledNumber: '13900000021', ...tts('您好'), MuteTime: '1000' },
      (cb) => {
        if (cb.contentType === 'mute') {
          return {
            action: 'dtmf',
            action_code: '$t$',
            action_code_param: '{"t":"请按键"}',
            dtmf_nonin_overtime: 10,
            dtmf_max_numbers: 5,
            dtmf_end_character: '#',
            dynamic_id: 'menu',
          };
        }
        return { action: 'hangup' };
      },
    );
    const dtmf = callbacks.find((c) => c.contentType === 'dtmf');
    assert.deepEqual(dtmf?.content, { dynamic_id: 'menu', dtmf_digits: '12#' });
    assert.equal(record.dtmf, '12#');
  });

  test('a dtmf action without keys reports noInputTimeout after dtmf_nonin_overtime', async () => {
    const { callbacks } = await conversation(
      { CalledNumber: '13900000022', ...tts('您好'), MuteTime: '1000' },
      (cb, mine) =>
        cb.contentType === 'mute' && mine.length === 1
          ? { action: 'dtmf', dtmf_nonin_overtime: 3, dtmf_max_numbers: 1 }
          : { action: 'hangup' },
    );
    const dtmf = callbacks.find((c) => c.contentType === 'dtmf')!;
    assert.equal(dtmf.content.dtmf_digits, 'noInputTimeout');
    const waited = dtmf.at - callbacks[0]!.at;
    assert.ok(waited >= 2900 && waited < 4500, `reported ${waited} ms after the dtmf action`);
  });

  test('speech over a prompt is reported with is_playing=true; the reply decides to break it', async () => {
    const long =
      '您好，这里是智能外呼的演示电话，我们想占用您一点时间，了解一下您对我们最近服务的看法，谢谢您的耐心。';
    const { callbacks, interrupted, said } = await conversation(
      { CalledNumber: '13900000024', ...tts(long) },
      (cb, mine) =>
        cb.contentType === 'normal' && mine.length === 1 ? { action: 'break' } : { action: 'hangup' },
    );
    const normal = callbacks.find((c) => c.contentType === 'normal');
    assert.ok(normal, JSON.stringify(callbacks.map((c) => c.contentType)));
    assert.equal(normal.content.is_playing, true);
    assert.ok(interrupted.length >= 1, 'the break reply stopped the prompt');
    assert.ok(interrupted[0]! - said[0]!.at < 6000, 'well before the prompt would have ended');
  });

  test('continuous speech over a time-break prompt stops it and sends timebreak', async () => {
    const long =
      '您好，这里是智能外呼的演示电话，我们想占用您一点时间，了解一下您对我们最近服务的看法，谢谢您的耐心。';
    const { callbacks, interrupted } = await conversation(
      { CalledNumber: '13900000025', ...tts(long), ActionCodeTimeBreak: '800' },
      () => ({ action: 'hangup' }),
    );
    const tb = callbacks.find((c) => c.contentType === 'timebreak');
    assert.ok(tb, JSON.stringify(callbacks.map((c) => c.contentType)));
    assert.equal(tb.content.current_media_code, '$t$');
    assert.ok(Number(tb.content.asr_begin_time) >= Number(tb.content.play_begin_time));
    assert.ok(interrupted.length >= 1);
  });

  test('an unbreakable opening prompt plays to its end before a play reply', async () => {
    const long = '您好，这里是智能外呼的演示电话，我们想占用您一点时间，了解一下您对我们最近服务的看法。';
    const { said, interrupted } = await conversation(
      { CalledNumber: '13900000024', ...tts(long), ActionCodeBreak: 'false', ActionCodeTimeBreak: '300' },
      (cb) => (cb.contentType === 'normal' ? say('好的。', { action_break: true }) : { action: 'hangup' }),
    );
    assert.equal(interrupted.length, 0, 'nothing interrupted the unbreakable prompt');
    assert.ok(said.length >= 2);
    assert.ok(
      said[1]!.at - said[0]!.at > 4000,
      `the reply waited for the prompt (${said[1]!.at - said[0]!.at} ms)`,
    );
  });

  test('the callee hanging up during a prompt ends the call as 200001 with hangup_direction 用户', async () => {
    const long = '您好，这里是智能外呼的演示电话，我们想占用您一点时间，了解一下您对我们最近服务的看法。';
    const { record } = await conversation({ CalledNumber: '13800000010', ...tts(long) }, () => ({
      action: 'donothing',
    }));
    assert.equal(record.state, 'ended');
    assert.equal(record.statusCode, '200001');
    assert.equal(record.hangupDirection, '用户');
  });

  test('SessionTimeout ends the call whatever the conversation does', async () => {
    const { record, callbacks } = await conversation(
      { CalledNumber: '13900000022', ...tts('您好'), SessionTimeout: '4', MuteTime: '20000' },
      () => ({ action: 'donothing' }),
    );
    assert.equal(callbacks.length, 0);
    assert.equal(record.hangupDirection, '机器');
    const talk = record.endAt! - record.answerAt!;
    assert.ok(talk >= 3900 && talk < 5500, `talked ${talk} ms`);
  });

  test('the record of an answered call is the one QueryCallDetailByCallId returns', async () => {
    const { callId, record } = await conversation(
      { CalledNumber: '13900000022', ...tts('您好'), SessionTimeout: '2' },
      () => ({
        action: 'donothing',
      }),
    );
    const q = await callAction(
      'v3',
      { endpoint: e2e.endpoint, accessKeyId: e2e.accessKeyId, accessKeySecret: e2e.accessKeySecret },
      'QueryCallDetailByCallId',
      { CallId: callId, ProdId: '11030000180001', QueryDate: String(record.createdAt) },
    );
    const data = JSON.parse(String(q.body!.Data));
    assert.equal(data.state, '200000');
    assert.equal(data.callee, '13900000022');
    assert.ok(data.duration >= 1 && data.duration <= 3);
    assert.notEqual(data.startDate, '');
  });
});

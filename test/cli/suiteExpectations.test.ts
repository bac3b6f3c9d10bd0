/**
 * A suite case's expectations against a recorded call (no call placed): what passes, and failures
 * that say what was expected, what happened and where in the timeline.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkExpectations, turnLatencies } from '../../src/cli/suite/expectations.js';
import { observe, type RawCallEvent } from '../../src/cli/suite/observation.js';
import { parseSuiteText } from '../../src/cli/suite/suiteFile.js';
import type { CallRecord } from '../../src/store/records.js';

const T0 = 1_700_000_000_000;
const record = {
  callId: 'c1',
  statusCode: '200000',
  statusMsg: '执行完成',
  hangupDirection: '机器',
  answerAt: T0 + 1000,
  endAt: T0 + 9000,
  createdAt: T0,
  dtmf: '1',
} as CallRecord;
const reply = (data: object) => JSON.stringify({ result: 'success', msg: '成功', data });
const events: RawCallEvent[] = [
  { type: 'state', data: { callId: 'c1', state: 'answered', at: T0 + 1000 } },
  { type: 'said', data: { callId: 'c1', at: T0 + 1000, code: '$text$', texts: ['请问您满意吗？'] } },
  {
    type: 'heard',
    data: {
      callId: 'c1',
      at: T0 + 4200,
      words: '满意',
      beginAt: T0 + 3000,
      endAt: T0 + 3500,
      earlyMedia: false,
    },
  },
  {
    type: 'callback',
    data: {
      callId: 'c1',
      at: T0 + 4200,
      contentType: 'normal',
      content: { words: '满意' },
      outcome: 'ok',
      action: 'play',
      source: 'reply',
      latencyMs: 40,
    },
  },
  { type: 'playStarted', data: { callId: 'c1', id: 'p2', code: '$text$', at: T0 + 4300 } },
  { type: 'said', data: { callId: 'c1', at: T0 + 4250, code: '$text$', texts: ['谢谢，再见'] } },
  {
    type: 'callback',
    data: {
      callId: 'c1',
      at: T0 + 7000,
      contentType: 'mute',
      content: { dynamic_id: 'q2' },
      outcome: 'timeout',
      action: 'hangup',
      source: 'policy',
      latencyMs: 1500,
    },
  },
  { type: 'ended', data: { callId: 'c1', record } },
];
const exchanges = [
  {
    contentType: 'normal',
    reply: reply({ action: 'play', action_code: '$text$', action_code_param: '{"text":"谢谢，再见"}' }),
    detail: null,
  },
  { contentType: 'mute', reply: null, detail: 'no reply within 1000 ms' },
] as never;
const o = observe({ callId: 'c1', startedAt: T0, events, exchanges, receipts: ['VoiceReport'] });

const expectOf = (yaml: string) =>
  parseSuiteText(`cases:\n  - name: x\n    callee: silent\n    expect:\n${yaml}`, 's.yaml').cases[0]!.expect;

test('what the call did passes its expectations', () => {
  const e =
    expectOf(`      callbacks: [{ content_type: normal, words: 满意 }, { content_type: mute, outcome: timeout }]
      actions: [{ action: play, media: 再见 }, { action: hangup, source: policy }]
      prompts: [满意吗]
      no_prompts: [推荐]
      status: "200000"
      hangup_by: platform
      duration: { min: 7, max: 9 }
      dtmf: 1
      receipts: [VoiceReport]
      turn_latency_ms: { max: 900 }
`);
  assert.deepEqual(checkExpectations(o, e), []);
  assert.deepEqual(turnLatencies(o), [{ t: 3500, ms: 800, words: '满意' }]);
});

test('each failed expectation says what was expected, what happened and where', () => {
  const e = expectOf(`      callbacks: [{ content_type: normal }, { content_type: normal, words: 推荐 }]
      actions: [{ action: transfer, transfer_to: "10086" }]
      status: "200001"
      hangup_by: callee
      receipts: [VoiceCallReport]
      callback_latency_ms: { max: 1000 }
`);
  const f = Object.fromEntries(checkExpectations(o, e).map((x) => [x.expectation, x]));
  assert.deepEqual(Object.keys(f), [
    'callbacks[1]',
    'actions[0]',
    'status',
    'hangup_by',
    'receipts',
    'callback_latency_ms',
  ]);
  assert.equal(
    f['callbacks[1]']!.expected,
    'callback content_type="normal", words="推荐" after callbacks[0]',
  );
  assert.match(
    f['callbacks[1]']!.actual,
    /^callback mute, dynamic_id q2 → timeout \(no reply within 1000 ms\) hangup \(policy\) \[1500 ms\]$/,
  );
  assert.equal(
    f['callbacks[1]']!.where,
    '4.20s after callback normal, words "满意" → play $text$ "谢谢，再见" [40 ms]',
  );
  assert.equal(f['actions[0]']!.where, 'from the start of the call');
  assert.equal(f.status!.actual, '200000 执行完成');
  assert.equal(f.status!.where, '9.00s ended');
  assert.equal(f.hangup_by!.actual, 'hung up by the platform');
  assert.equal(f.receipts!.actual, 'received: VoiceReport');
  assert.equal(f.callback_latency_ms!.actual, '1500 ms (timeout)');
  assert.match(f.callback_latency_ms!.where, /^7\.00s callback mute/);
});

test('defaults apply to every case and a case overrides them', () => {
  const suite = parseSuiteText(
    `defaults:
  timeout: 20
  callback: http://127.0.0.1:9/cb
  call: { MuteTime: 3000, VoiceCodeParam: { text: 你好 } }
cases:
  - name: a
    callee: silent
  - name: b
    callee: { number: "13900001111" }
    callback: { timeoutMs: 500 }
    call: { MuteTime: 2000 }
    timeout: 5
`,
    's.yaml',
  );
  const [a, b] = suite.cases;
  assert.equal(suite.name, 's');
  assert.deepEqual(a!.call, { MuteTime: '3000', VoiceCodeParam: '{"text":"你好"}' });
  assert.equal(a!.timeoutS, 20);
  assert.deepEqual(b!.callback, { url: 'http://127.0.0.1:9/cb', timeoutMs: 500 });
  assert.equal(b!.call.MuteTime, '2000');
  assert.equal(b!.timeoutS, 5);
  assert.deepEqual(b!.callee, { kind: 'number', label: '13900001111', number: '13900001111' });
});

/**
 * The gateway through the real Alibaba Cloud clients: every request shape, success and every
 * validation error of spec §3.1, with the Code each client surfaces (spec §2.3).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CLIENTS, type ClientName, callAction, isOfficialSdk } from '../helpers/aliClients.js';
import { type ApiHarness, CALLEE, DISPLAY_NUMBER, startApiHarness } from '../helpers/apiHarness.js';

let api: ApiHarness;
before(async () => {
  api = await startApiHarness();
  api.running.store.voiceFiles.insert({
    id: '2d4c-4e78-8d2a-afbb06cf0001.wav',
    accountId: api.admin.account('acme').id,
    name: 'hello.wav',
    path: '/nonexistent/hello.wav',
    durationMs: 1000,
    createdAt: Date.now(),
  });
  api.running.store.asrModels.insert({
    id: '2070aca1eff146f9a7bc826f1c3d0001',
    accountId: api.admin.account('acme').id,
    name: 'survey',
    phrases: '是的\n不是',
    createdAt: Date.now(),
  });
});
after(() => api.close());

const creds = () => ({
  endpoint: api.endpoint,
  accessKeyId: api.accessKeyId,
  accessKeySecret: api.accessKeySecret,
});
const call = (client: ClientName, params: Record<string, string>, action = 'SmartCall') =>
  callAction(client, creds(), action, params);

const VALID: Record<string, string> = {
  CalledShowNumber: DISPLAY_NUMBER,
  CalledNumber: CALLEE,
  VoiceCode: '2d4c-4e78-8d2a-afbb06cf0001.wav,$name$',
  VoiceCodeParam: '{"name":"张三 (VIP)*"}',
};

/** The full parameter set the official SDK sent in the capture of spec §3.3. */
const FULL: Record<string, string> = {
  ...VALID,
  ActionCodeBreak: 'true',
  ActionCodeTimeBreak: '120',
  AsrBaseId: 'customer_service_8k',
  AsrModelId: '2070aca1eff146f9a7bc826f1c3d0001',
  BackgroundFileCode: '2d4c-4e78-8d2a-afbb06cf0001.wav',
  BackgroundSpeed: '1',
  BackgroundVolume: '1',
  DynamicId: 'dyn-abc',
  EarlyMediaAsr: 'true',
  EnableITN: 'false',
  MuteTime: '10000',
  NoiseThreshold: '0.6',
  OutId: 'order-42',
  PauseTime: '800',
  RecordFlag: 'true',
  SessionTimeout: '120',
  Speed: '1',
  StreamAsr: '1',
  TtsConf: 'true',
  TtsSpeed: '100',
  TtsStyle: 'xiaoyun',
  TtsVolume: '10',
  Volume: '1',
};

describe('an accepted SmartCall', () => {
  for (const client of CLIENTS) {
    test(`is returned with a CallId and stored for the dialer (${client})`, async () => {
      const r = await call(client, FULL);
      assert.equal(r.code, 'OK', JSON.stringify(r));
      const callId = String(r.body!.CallId);
      assert.match(callId, /^\d{12}\^\d{12}$/);
      assert.match(String(r.body!.RequestId), /^[0-9A-F-]{36}$/);
      const stored = api.running.store.calls.find(callId)!;
      // This installation has no trunk: the dialer picks the call up and fails it with that reason.
      assert.ok(['queued', 'failed'].includes(stored.state), stored.state);
      if (stored.state === 'failed') assert.equal(stored.statusMsg, 'no trunk is configured');
      assert.equal(stored.outId, 'order-42');
      const request = JSON.parse(stored.request);
      assert.equal(
        request.voiceCodeParam.name,
        '张三 (VIP)*',
        'the value arrives intact whatever the client escaped',
      );
      assert.equal(request.sessionTimeout, 120);
      assert.equal(request.recordFlag, true);
      assert.equal(request.ttsVolume, 10);
    });
  }

  test('clamps PauseTime, MuteTime and SessionTimeout instead of failing', async () => {
    const r = await call('v3', { ...VALID, PauseTime: '5', MuteTime: '999999', SessionTimeout: '99999' });
    assert.equal(r.code, 'OK');
    const request = JSON.parse(api.running.store.calls.find(String(r.body!.CallId))!.request);
    assert.equal(request.pauseTime, 800);
    assert.equal(request.muteTime, 10000);
    assert.equal(request.sessionTimeout, 3600);
  });

  test('clamps BackgroundVolume to -4…4 instead of failing, and keeps it for the background', async () => {
    for (const [given, kept] of [
      ['9', 4],
      ['-7', -4],
      ['2', 2],
    ] as const) {
      const r = await call('v3', { ...VALID, BackgroundVolume: given });
      assert.equal(r.code, 'OK', JSON.stringify(r));
      const request = JSON.parse(api.running.store.calls.find(String(r.body!.CallId))!.request);
      assert.equal(request.backgroundVolume, kept, given);
    }
  });

  test('can be queried back with QueryCallDetailByCallId, Data being a JSON string', async () => {
    const r = await call('v3', VALID);
    const q = await call(
      'v3',
      { CallId: String(r.body!.CallId), ProdId: '11030000180001', QueryDate: String(Date.now() - 60_000) },
      'QueryCallDetailByCallId',
    );
    assert.equal(q.code, 'OK');
    assert.equal(typeof q.body!.Data, 'string');
    const data = JSON.parse(String(q.body!.Data));
    assert.equal(data.callee, CALLEE);
    assert.equal(data.caller, DISPLAY_NUMBER);
    assert.equal(data.duration, 0);
    assert.match(data.gmtCreate, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });
});

/** [what, params, expected Code, gateway (4xx) or business (200)] */
const INVALID: [string, Record<string, string>, string, 'gateway' | 'business'][] = [
  ['CalledShowNumber missing', { ...VALID, CalledShowNumber: '' }, 'MissingCalledShowNumber', 'gateway'],
  [
    'CalledNumber missing',
    { CalledShowNumber: DISPLAY_NUMBER, VoiceCode: '$a$' },
    'MissingCalledNumber',
    'gateway',
  ],
  [
    'VoiceCode missing',
    { CalledShowNumber: DISPLAY_NUMBER, CalledNumber: CALLEE },
    'MissingVoiceCode',
    'gateway',
  ],
  [
    'display number not owned',
    { ...VALID, CalledShowNumber: '057100000000' },
    'isv.DISPLAY_NUMBER_ILLEGAL',
    'business',
  ],
  [
    'callee not a mainland number',
    { ...VALID, CalledNumber: '+4930123456' },
    'isv.MOBILE_NUMBER_ILLEGAL',
    'business',
  ],
  ['unknown voice file', { ...VALID, VoiceCode: 'nope.wav' }, 'isv.VOICE_FILE_ILLEGAL', 'business'],
  ['VoiceCodeParam not JSON', { ...VALID, VoiceCodeParam: '{name' }, 'isv.INVALID_PARAMETERS', 'business'],
  [
    'VoiceCodeParam lacks a variable',
    { ...VALID, VoiceCodeParam: '{"other":"x"}' },
    'isv.TEMPLATE_MISSING_PARAMETERS',
    'business',
  ],
  ['RecordFlag not boolean', { ...VALID, RecordFlag: 'yes' }, 'InvalidParameter', 'gateway'],
  ['Volume not integer', { ...VALID, Volume: 'loud' }, 'InvalidParameter', 'gateway'],
  ['Volume out of range', { ...VALID, Volume: '5' }, 'isv.INVALID_PARAMETERS', 'business'],
  [
    'unknown AsrModelId',
    { ...VALID, AsrModelId: 'ffffffffffffffffffffffffffffffff' },
    'isv.ASR_MODEL_ERROR',
    'business',
  ],
  ['unknown AsrBaseId', { ...VALID, AsrBaseId: 'klingon_8k' }, 'isv.INVALID_PARAMETERS', 'business'],
  ['PauseTime not integer', { ...VALID, PauseTime: '1.5' }, 'InvalidParameter', 'gateway'],
  ['ActionCodeBreak not boolean', { ...VALID, ActionCodeBreak: '1' }, 'InvalidParameter', 'gateway'],
  [
    'negative ActionCodeTimeBreak',
    { ...VALID, ActionCodeTimeBreak: '-1' },
    'isv.INVALID_PARAMETERS',
    'business',
  ],
  ['OutId longer than 15 bytes', { ...VALID, OutId: '订单号1234567' }, 'isv.INVALID_PARAMETERS', 'business'],
  [
    'DynamicId with a forbidden character',
    { ...VALID, DynamicId: 'a=b' },
    'isv.INVALID_PARAMETERS',
    'business',
  ],
  ['EarlyMediaAsr not boolean', { ...VALID, EarlyMediaAsr: 'maybe' }, 'InvalidParameter', 'gateway'],
  ['SessionTimeout not integer', { ...VALID, SessionTimeout: 'long' }, 'InvalidParameter', 'gateway'],
  [
    'unknown TtsStyle',
    { ...VALID, TtsConf: 'true', TtsStyle: 'hal9000' },
    'isv.INVALID_PARAMETERS',
    'business',
  ],
  [
    'TtsVolume out of range',
    { ...VALID, TtsConf: 'true', TtsVolume: '101' },
    'isv.INVALID_PARAMETERS',
    'business',
  ],
  [
    'TtsSpeed out of range',
    { ...VALID, TtsConf: 'true', TtsSpeed: '-201' },
    'isv.INVALID_PARAMETERS',
    'business',
  ],
  ['StreamAsr out of range', { ...VALID, StreamAsr: '101' }, 'isv.INVALID_PARAMETERS', 'business'],
  [
    'unknown BackgroundFileCode',
    { ...VALID, BackgroundFileCode: 'bg.wav' },
    'isv.VOICE_FILE_ILLEGAL',
    'business',
  ],
  ['EnableITN not boolean', { ...VALID, EnableITN: 'on' }, 'InvalidParameter', 'gateway'],
  ['NoiseThreshold not a number', { ...VALID, NoiseThreshold: 'high' }, 'InvalidParameter', 'gateway'],
];

describe('every validation error surfaces with its Code in every client', () => {
  for (const [what, params, expected, kind] of INVALID) {
    for (const client of CLIENTS) {
      test(`${what} → ${expected} (${client})`, async () => {
        const r = await call(client, params);
        assert.equal(r.code, expected, JSON.stringify(r));
        if (kind === 'gateway') {
          assert.ok(r.errorName, 'a gateway error makes every client throw');
          if (isOfficialSdk(client)) assert.equal(r.status, 400);
        } else if (isOfficialSdk(client)) {
          assert.equal(r.status, 200, 'the official SDK returns business errors normally');
          assert.equal(r.errorName, undefined);
        } else {
          assert.equal(r.errorName, `${expected}Error`, 'pop-core throws on a business error');
        }
      });
    }
  }

  test('TtsStyle, TtsVolume and TtsSpeed are ignored when TtsConf is false', async () => {
    const r = await call('v3', { ...VALID, TtsConf: 'false', TtsStyle: 'hal9000', TtsVolume: '500' });
    assert.equal(r.code, 'OK');
  });

  test('no record is left behind by a refused request', async () => {
    const count = () => Object.values(api.running.store.calls.countByState()).reduce((a, b) => a + b, 0);
    const before = count();
    await call('v3', { ...VALID, Volume: '9' });
    await call('popGet', { ...VALID, RecordFlag: 'x' });
    assert.equal(count(), before);
  });
});

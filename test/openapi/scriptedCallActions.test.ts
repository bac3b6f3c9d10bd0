/**
 * SingleCallByVoice, SingleCallByTts, IvrCall and CancelCall (spec §6.3) through the real Alibaba
 * Cloud clients: what each accepts and stores, and each refusal with its code. The calls themselves
 * (what the callee hears, the keys) are in test/e2e/scriptedCalls.test.ts.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SmartCallRequest } from '../../src/contract/smartCallRequest.js';
import { TtsTemplates } from '../../src/media-library/ttsTemplates.js';
import { VoiceLibrary } from '../../src/media-library/voiceLibrary.js';
import { type ClientName, callAction } from '../helpers/aliClients.js';
import { type ApiHarness, CALLEE, DISPLAY_NUMBER, startApiHarness } from '../helpers/apiHarness.js';
import { chirp, pcmWav } from '../helpers/audio.js';

let api: ApiHarness;
const VOICE = 'notice-0001.wav';
before(async () => {
  // No dialer: accepted calls stay queued, so nothing here places a call.
  api = await startApiHarness({ calls: { dialer: false } });
  const account = api.admin.account('acme').id;
  new TtsTemplates(api.running.store).add(account, {
    id: 'TTS_171950027',
    text: `您好\${name}，您的验证码是\${code}`,
  });
  new TtsTemplates(api.running.store).add(account, { id: 'TTS_100000001', text: '再见' });
  const wav = join(api.dataDir, 'notice.wav');
  writeFileSync(wav, pcmWav(chirp(0.5, 300, 900, 3)));
  await new VoiceLibrary(api.running.store, api.dataDir).upload(account, wav, { id: VOICE });
});
after(() => api.close());

const call = (action: string, params: Record<string, string>, client: ClientName = 'core') =>
  callAction(
    client,
    { endpoint: api.endpoint, accessKeyId: api.accessKeyId, accessKeySecret: api.accessKeySecret },
    action,
    params,
  );

function stored(callId: unknown): SmartCallRequest {
  return JSON.parse(api.running.store.calls.find(String(callId))!.request) as SmartCallRequest;
}

let callee = 13700000000;
/** A fresh callee each time (SingleCallByTts limits calls per callee). */
const nextCallee = () => String(++callee);

describe('SingleCallByVoice', () => {
  for (const client of ['core', 'v2', 'popGet', 'popPost'] as const) {
    test(`is accepted and queued with its script, PlayTimes 3 by default (${client})`, async () => {
      const r = await call(
        'SingleCallByVoice',
        { CalledNumber: CALLEE, VoiceCode: VOICE, OutId: 'n-1' },
        client,
      );
      assert.equal(r.code, 'OK', JSON.stringify(r));
      assert.match(String(r.body!.CallId), /^\d{12}\^\d{12}$/);
      const record = api.running.store.calls.find(String(r.body!.CallId))!;
      assert.equal(record.state, 'queued');
      assert.equal(record.calledShowNumber, DISPLAY_NUMBER, "without CalledShowNumber, the account's number");
      assert.equal(record.outId, 'n-1');
      assert.deepEqual(stored(r.body!.CallId).script, {
        action: 'SingleCallByVoice',
        prompt: { code: VOICE, params: {} },
        playTimes: 3,
      });
    });
  }

  test('refuses what Alibaba refuses, each with its code', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ VoiceCode: VOICE }, 'MissingCalledNumber'],
      [{ CalledNumber: CALLEE }, 'MissingVoiceCode'],
      [{ CalledNumber: CALLEE, VoiceCode: 'nope.wav' }, 'isv.VOICE_FILE_ILLEGAL'],
      [{ CalledNumber: CALLEE, VoiceCode: 'TTS_171950027' }, 'isv.VOICE_FILE_ILLEGAL'],
      [{ CalledNumber: '12345', VoiceCode: VOICE }, 'isv.MOBILE_NUMBER_ILLEGAL'],
      [
        { CalledNumber: CALLEE, VoiceCode: VOICE, CalledShowNumber: '057100000000' },
        'isv.DISPLAY_NUMBER_ILLEGAL',
      ],
      [{ CalledNumber: CALLEE, VoiceCode: VOICE, PlayTimes: '4' }, 'isv.INVALID_PARAMETERS'],
      [{ CalledNumber: CALLEE, VoiceCode: VOICE, PlayTimes: 'x' }, 'InvalidParameter'],
      [{ CalledNumber: CALLEE, VoiceCode: VOICE, Volume: '101' }, 'isv.INVALID_PARAMETERS'],
      [{ CalledNumber: CALLEE, VoiceCode: VOICE, Speed: '501' }, 'isv.INVALID_PARAMETERS'],
      [{ CalledNumber: CALLEE, VoiceCode: VOICE, OutId: 'x'.repeat(16) }, 'isv.INVALID_PARAMETERS'],
    ];
    for (const [params, code] of cases) {
      const r = await call('SingleCallByVoice', params);
      assert.equal(r.code, code, `${JSON.stringify(params)} → ${JSON.stringify(r)}`);
    }
  });

  test('Volume 0–100 becomes the 3 dB steps of SmartCall', async () => {
    const steps: [string, number][] = [
      ['100', 0],
      ['50', -2],
      ['1', -4],
    ];
    for (const [volume, step] of steps) {
      const r = await call('SingleCallByVoice', { CalledNumber: CALLEE, VoiceCode: VOICE, Volume: volume });
      assert.equal(stored(r.body!.CallId).volume, step, `Volume ${volume}`);
    }
  });
});

describe('SingleCallByTts', () => {
  for (const client of ['core', 'popPost'] as const) {
    test(`is accepted with its template, TtsParam and PlayTimes (${client})`, async () => {
      const r = await call(
        'SingleCallByTts',
        {
          CalledNumber: nextCallee(),
          CalledShowNumber: DISPLAY_NUMBER,
          TtsCode: 'TTS_171950027',
          TtsParam: '{"name":"张三","code":"1234"}',
          PlayTimes: '2',
          Speed: '250',
        },
        client,
      );
      assert.equal(r.code, 'OK', JSON.stringify(r));
      const request = stored(r.body!.CallId);
      assert.deepEqual(request.script, {
        action: 'SingleCallByTts',
        prompt: { code: 'TTS_171950027', params: { name: '张三', code: '1234' } },
        playTimes: 2,
      });
      assert.equal(request.ttsSpeed, 100, 'Speed 250 of ±500 is TtsSpeed 100 of ±200');
    });
  }

  test('refuses what Alibaba refuses, each with its code', async () => {
    const base = { CalledNumber: CALLEE, TtsCode: 'TTS_171950027', TtsParam: '{"name":"a","code":"1"}' };
    const cases: [Record<string, string>, string][] = [
      [{ CalledNumber: CALLEE }, 'MissingTtsCode'],
      [{ ...base, TtsCode: 'TTS_999' }, 'isv.TTS_TEMPLATE_ILLEGAL'],
      [{ ...base, TtsCode: VOICE }, 'isv.TTS_TEMPLATE_ILLEGAL'],
      [{ ...base, TtsParam: '{"name":"a"}' }, 'isv.TEMPLATE_MISSING_PARAMETERS'],
      [{ ...base, TtsParam: 'not json' }, 'isv.INVALID_PARAMETERS'],
      [{ ...base, TtsParam: JSON.stringify({ name: 'x'.repeat(250), code: '1' }) }, 'isv.PARAM_LENGTH_LIMIT'],
      [{ ...base, TtsParam: '{"name":"http://evil.example","code":"1"}' }, 'isv.PARAM_NOT_SUPPORT_URL'],
      [{ ...base, PlayTimes: '0' }, 'isv.INVALID_PARAMETERS'],
    ];
    for (const [params, code] of cases) {
      const r = await call('SingleCallByTts', params);
      assert.equal(r.code, code, `${JSON.stringify(params)} → ${JSON.stringify(r)}`);
    }
  });

  test('a second call to the same callee within a minute is isv.BUSINESS_LIMIT_CONTROL; other callees are not held back', async () => {
    const params = (n: string) => ({
      CalledNumber: n,
      TtsCode: 'TTS_171950027',
      TtsParam: '{"name":"a","code":"1"}',
    });
    const n = nextCallee();
    // Two at once: the second is checked after the first is stored.
    const [first, second] = await Promise.all([
      call('SingleCallByTts', params(n)),
      call('SingleCallByTts', params(n)),
    ]);
    assert.deepEqual(
      [first.code, second.code].sort(),
      ['OK', 'isv.BUSINESS_LIMIT_CONTROL'],
      JSON.stringify([first, second]),
    );
    const refused = first.code === 'OK' ? second : first;
    assert.equal(refused.status, 200);
    assert.match(String(refused.body!.Message), /1分钟/);
    assert.equal((await call('SingleCallByTts', params(nextCallee()))).code, 'OK');
    const pop = await call('SingleCallByTts', params(n), 'popGet');
    assert.equal(pop.errorName, 'isv.BUSINESS_LIMIT_CONTROLError', 'pop-core throws, as on Alibaba');
  });

  test('the hour and day windows: 5 calls an hour, 20 a day, counted from the calls table', async () => {
    const n = nextCallee();
    const store = api.running.store;
    const minute = 60_000;
    const insertPast = (agoMs: number) => {
      const r = store.calls.find(String(last))!;
      store.calls.insert({
        ...r,
        callId: `${r.callId.slice(0, 13)}${String(agoMs).padStart(12, '0')}`,
        calledNumber: n,
        createdAt: Date.now() - agoMs,
      });
    };
    const ok = await call('SingleCallByTts', { CalledNumber: nextCallee(), TtsCode: 'TTS_100000001' });
    const last = ok.body!.CallId;
    // Four more in the last hour, none in the last minute: the hour is full.
    for (const ago of [2, 3, 4, 5, 6]) insertPast(ago * minute);
    const r = await call('SingleCallByTts', { CalledNumber: n, TtsCode: 'TTS_100000001' });
    assert.equal(r.code, 'isv.BUSINESS_LIMIT_CONTROL', JSON.stringify(r));
    assert.match(String(r.body!.Message), /1小时/);
    const m = nextCallee();
    for (let i = 0; i < 20; i++) {
      const rec = store.calls.find(String(last))!;
      store.calls.insert({
        ...rec,
        callId: `${rec.callId.slice(0, 13)}9${String(i).padStart(11, '0')}`,
        calledNumber: m,
        createdAt: Date.now() - (2 + i) * 60 * minute,
      });
    }
    const day = await call('SingleCallByTts', { CalledNumber: m, TtsCode: 'TTS_100000001' });
    assert.equal(day.code, 'isv.BUSINESS_LIMIT_CONTROL', JSON.stringify(day));
    assert.match(String(day.body!.Message), /24小时/);
  });

  test('SingleCallByVoice and SmartCall calls do not count toward the limit', async () => {
    const n = nextCallee();
    assert.equal((await call('SingleCallByVoice', { CalledNumber: n, VoiceCode: VOICE })).code, 'OK');
    const r = await call('SingleCallByTts', { CalledNumber: n, TtsCode: 'TTS_100000001' });
    assert.equal(r.code, 'OK', JSON.stringify(r));
  });
});

describe('IvrCall', () => {
  const base = {
    CalledShowNumber: DISPLAY_NUMBER,
    CalledNumber: CALLEE,
    StartCode: 'TTS_171950027',
    StartTtsParams: '{"name":"张三","code":"9"}',
  };

  for (const client of ['core', 'v2', 'popGet'] as const) {
    test(`is accepted with its menu (MenuKeyMap.N.Key/Code/TtsParams), ByeCode and Timeout (${client})`, async () => {
      const r = await call(
        'IvrCall',
        {
          ...base,
          'MenuKeyMap.1.Key': '1',
          'MenuKeyMap.1.Code': VOICE,
          'MenuKeyMap.2.Key': '#',
          'MenuKeyMap.2.Code': 'TTS_171950027',
          'MenuKeyMap.2.TtsParams': '{"name":"李四","code":"2"}',
          ByeCode: 'TTS_100000001',
          PlayTimes: '2',
          Timeout: '5000',
        },
        client,
      );
      assert.equal(r.code, 'OK', JSON.stringify(r));
      assert.deepEqual(stored(r.body!.CallId).script, {
        action: 'IvrCall',
        start: { code: 'TTS_171950027', params: { name: '张三', code: '9' } },
        menu: {
          '1': { code: VOICE, params: {} },
          '#': { code: 'TTS_171950027', params: { name: '李四', code: '2' } },
        },
        bye: { code: 'TTS_100000001', params: {} },
        playTimes: 2,
        timeoutMs: 5000,
      });
    });
  }

  test('refuses what Alibaba refuses, each with its code', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ CalledNumber: CALLEE, StartCode: VOICE }, 'MissingCalledShowNumber'],
      [{ CalledShowNumber: DISPLAY_NUMBER, CalledNumber: CALLEE }, 'MissingStartCode'],
      [{ ...base, StartTtsParams: '{}' }, 'isv.TEMPLATE_MISSING_PARAMETERS'],
      [{ ...base, StartCode: 'missing.wav' }, 'isv.VOICE_FILE_ILLEGAL'],
      [{ ...base, ByeCode: 'TTS_424242' }, 'isv.TTS_TEMPLATE_ILLEGAL'],
      [{ ...base, 'MenuKeyMap.1.Key': '1' }, 'isv.INVALID_PARAMETERS'],
      [{ ...base, 'MenuKeyMap.1.Key': 'A', 'MenuKeyMap.1.Code': VOICE }, 'isv.INVALID_PARAMETERS'],
      [
        {
          ...base,
          'MenuKeyMap.1.Key': '1',
          'MenuKeyMap.1.Code': VOICE,
          'MenuKeyMap.2.Key': '1',
          'MenuKeyMap.2.Code': VOICE,
        },
        'isv.INVALID_PARAMETERS',
      ],
      [{ ...base, 'MenuKeyMap.1.Key': '1', 'MenuKeyMap.1.Code': 'gone.wav' }, 'isv.VOICE_FILE_ILLEGAL'],
      [{ ...base, Timeout: '500' }, 'isv.INVALID_PARAMETERS'],
      [{ ...base, Timeout: 'soon' }, 'InvalidParameter'],
      [{ ...base, CalledShowNumber: '057100000000' }, 'isv.DISPLAY_NUMBER_ILLEGAL'],
    ];
    for (const [params, code] of cases) {
      const r = await call('IvrCall', params);
      assert.equal(r.code, code, `${JSON.stringify(params)} → ${JSON.stringify(r)}`);
    }
  });
});

describe('CancelCall', () => {
  test('needs a CallId; an unknown call, or one of another account, is Status false', async () => {
    assert.equal((await call('CancelCall', {})).code, 'MissingCallId');
    const unknown = await call('CancelCall', { CallId: '000000000000^000000000000' });
    assert.equal(unknown.code, 'OK');
    assert.equal(unknown.body!.Status, false);
  });

  test('on a node that places no calls, nothing can be cancelled', async () => {
    const r = await call('SingleCallByVoice', { CalledNumber: CALLEE, VoiceCode: VOICE });
    const c = await call('CancelCall', { CallId: String(r.body!.CallId) });
    assert.equal(c.code, 'OK');
    assert.equal(c.body!.Status, false);
    assert.equal(api.running.store.calls.find(String(r.body!.CallId))!.state, 'queued');
  });
});

describe('QueryCallDetailByCallId', () => {
  test('finds a scripted call under its own product ID, not under SmartCall', async () => {
    const r = await call('SingleCallByVoice', { CalledNumber: CALLEE, VoiceCode: VOICE });
    const q = (prodId: string) =>
      call('QueryCallDetailByCallId', {
        CallId: String(r.body!.CallId),
        ProdId: prodId,
        QueryDate: String(Date.now() - 1000),
      });
    assert.ok((await q('11000000300006')).body!.Data, 'SingleCallByVoice: 11000000300006');
    assert.equal((await q('11030000180001')).body!.Data, undefined);
  });
});

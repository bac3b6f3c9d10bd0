/**
 * `TtsStyle` through the real Alibaba Cloud clients (spec §3.1 #19): every voice the vendor lists
 * is accepted and stored as the voice list spells it; any other name is `isv.INVALID_PARAMETERS`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CLIENTS, callAction } from '../helpers/aliClients.js';
import { type ApiHarness, CALLEE, DISPLAY_NUMBER, startApiHarness } from '../helpers/apiHarness.js';

let api: ApiHarness;
before(async () => {
  api = await startApiHarness();
});
after(() => api.close());

const smartCall = (client: (typeof CLIENTS)[number], ttsStyle: string) =>
  callAction(
    client,
    { endpoint: api.endpoint, accessKeyId: api.accessKeyId, accessKeySecret: api.accessKeySecret },
    'SmartCall',
    {
      CalledShowNumber: DISPLAY_NUMBER,
      CalledNumber: CALLEE,
      VoiceCode: '$name$',
      VoiceCodeParam: '{"name":"您好"}',
      TtsConf: 'true',
      TtsStyle: ttsStyle,
    },
  );

describe('TtsStyle', () => {
  for (const voice of ['xiaomeng', 'xiaowei', 'amei', 'xiaoxue', 'xiaoyan', 'XiaoYan']) {
    test(`${voice}, a voice the vendor lists, is accepted`, async () => {
      const r = await smartCall('v3', voice);
      assert.equal(r.code, 'OK', JSON.stringify(r));
      const stored = JSON.parse(api.running.store.calls.find(String(r.body!.CallId))!.request);
      assert.equal(stored.ttsStyle, voice.toLowerCase());
    });
  }

  for (const client of CLIENTS) {
    test(`a name that is no voice is isv.INVALID_PARAMETERS naming it (${client})`, async () => {
      const r = await smartCall(client, 'xiaoyanx');
      assert.equal(r.code, 'isv.INVALID_PARAMETERS', JSON.stringify(r));
      assert.match(String(r.message ?? r.body?.Message), /xiaoyanx/);
    });
  }
});

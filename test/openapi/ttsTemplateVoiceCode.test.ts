/** A SmartCall whose VoiceCode names a TTS template, through the real Alibaba Cloud clients. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TtsTemplates } from '../../src/media-library/ttsTemplates.js';
import { type ClientName, callAction, isOfficialSdk } from '../helpers/aliClients.js';
import { type ApiHarness, CALLEE, DISPLAY_NUMBER, startApiHarness } from '../helpers/apiHarness.js';

let api: ApiHarness;
before(async () => {
  api = await startApiHarness();
  new TtsTemplates(api.running.store).add(api.admin.account('acme').id, {
    id: 'TTS_171950027',
    text: `您好\${name}，您的快递已到`,
  });
});
after(() => api.close());

const call = (client: ClientName, params: Record<string, string>) =>
  callAction(
    client,
    { endpoint: api.endpoint, accessKeyId: api.accessKeyId, accessKeySecret: api.accessKeySecret },
    'SmartCall',
    { CalledShowNumber: DISPLAY_NUMBER, CalledNumber: CALLEE, ...params },
  );

describe('a TTS template as VoiceCode', () => {
  for (const client of ['core', 'popGet'] as const) {
    test(`is accepted with its variables and stored for the call (${client})`, async () => {
      const r = await call(client, { VoiceCode: 'TTS_171950027', VoiceCodeParam: '{"name":"张三"}' });
      assert.equal(r.code, 'OK', JSON.stringify(r));
      const request = JSON.parse(api.running.store.calls.find(String(r.body!.CallId))!.request);
      assert.deepEqual(request.voiceCodeItems, [{ kind: 'file', id: 'TTS_171950027' }]);
      assert.equal(request.voiceCodeParam.name, '张三');
    });

    test(`that does not exist gives isv.TTS_TEMPLATE_ILLEGAL (${client})`, async () => {
      const r = await call(client, { VoiceCode: 'TTS_999999999', VoiceCodeParam: '{"name":"张三"}' });
      assert.equal(r.code, 'isv.TTS_TEMPLATE_ILLEGAL', JSON.stringify(r));
      if (isOfficialSdk(client)) {
        assert.equal(r.status, 200);
        assert.match(String(r.body!.Message), /TTS_999999999/);
      }
    });

    test(`without a value for one of its variables gives isv.TEMPLATE_MISSING_PARAMETERS (${client})`, async () => {
      const r = await call(client, { VoiceCode: 'TTS_171950027', VoiceCodeParam: '{"other":"x"}' });
      assert.equal(r.code, 'isv.TEMPLATE_MISSING_PARAMETERS', JSON.stringify(r));
      if (isOfficialSdk(client)) assert.match(String(r.body!.Message), /name/);
      const none = await call(client, { VoiceCode: 'TTS_171950027' });
      assert.equal(none.code, 'isv.TEMPLATE_MISSING_PARAMETERS', JSON.stringify(none));
    });
  }
});

/**
 * SingleCallByVoice, SingleCallByTts, IvrCall and CancelCall (spec §6.3), whole: the official client
 * library → smartcall in embedded mode → the virtual phone network, whose callees hear the prompts
 * (their timelines record what they heard) and press keys. No callback URL is involved: the
 * platform runs these calls' logic itself.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TtsTemplates } from '../../src/media-library/ttsTemplates.js';
import { VoiceLibrary } from '../../src/media-library/voiceLibrary.js';
import type { PersonaCallResult } from '../../src/phonenet/personaCall.js';
import type { CallRecord } from '../../src/store/records.js';
import { callAction } from '../helpers/aliClients.js';
import { chirp, pcmWav } from '../helpers/audio.js';
import { type E2e, startE2e } from '../helpers/e2eHarness.js';
import { laneRtpPorts } from '../helpers/lanes.js';

const VOICE = 'notice-0001.wav';
let e2e: E2e;

before(async () => {
  e2e = await startE2e({
    phonenet: {
      sipPort: 0,
      ...laneRtpPorts('phonenet'),
      personasFiles: [join(process.cwd(), 'test/fixtures/e2e/scriptedCallPersonas.yaml')],
    },
  });
  const account = e2e.admin.account('demo').id;
  const templates = new TtsTemplates(e2e.running.store);
  templates.add(account, { id: 'TTS_171950027', text: `您好\${name}，您的验证码是\${code}` });
  templates.add(account, { id: 'TTS_100000001', text: '请按一查询余额，按二转人工' });
  templates.add(account, { id: 'TTS_100000002', text: `正在为您转接\${who}` });
  templates.add(account, { id: 'TTS_100000003', text: '感谢您的接听，再见' });
  const wav = join(e2e.dataDir, 'notice.wav');
  writeFileSync(wav, pcmWav(chirp(0.8, 300, 900, 3)));
  await new VoiceLibrary(e2e.running.store, e2e.dataDir).upload(account, wav, { id: VOICE });
  // The receipts are written with the call (delivery to this closed port does not matter here).
  e2e.admin.setReceipts('demo', {
    url: 'http://127.0.0.1:9/receipts',
    types: ['VoiceCallReport', 'VoiceReport'],
  });
});
after(() => e2e.close());

const creds = () => ({
  endpoint: e2e.endpoint,
  accessKeyId: e2e.accessKeyId,
  accessKeySecret: e2e.accessKeySecret,
});

/** Places a call with `action`; resolves with its record, what the platform played, and the callee's call. */
async function place(action: string, params: Record<string, string>) {
  const r = await callAction('core', creds(), action, params);
  assert.equal(r.code, 'OK', JSON.stringify(r));
  const callId = String(r.body!.CallId);
  const said: { code: string; texts: string[] }[] = [];
  const onSaid = (e: { callId: string; code: string; texts: string[] }) =>
    e.callId === callId && said.push(e);
  e2e.running.events.on('said', onSaid);
  let record: CallRecord;
  try {
    record = await e2e.waitForEnd(callId, 60_000);
  } finally {
    e2e.running.events.off('said', onSaid);
  }
  return { callId, record, said, callee: await personaCall(params.CalledNumber!) };
}

/** The number's latest persona call, once it is over (the tests here run one after the other). */
async function personaCall(number: string): Promise<PersonaCallResult> {
  const carrier = e2e.running.phonenet!.carrier;
  const until = Date.now() + 20_000;
  for (;;) {
    const calls = carrier.recentCalls.filter((c) => c.number === number);
    if (calls.length > 0) return calls[calls.length - 1]!;
    assert.ok(Date.now() < until, `persona ${number} finished no call`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const heard = (c: PersonaCallResult) => c.events.filter((e) => e.type === 'heard');
const receipts = (callId: string, type: string) =>
  e2e.running.store.receipts
    .listByCall(callId)
    .filter((r) => r.type === type)
    .map((r) => JSON.parse(r.payload) as Record<string, string>);

describe('scripted calls with virtual callees', () => {
  test('SingleCallByVoice plays the file PlayTimes times, then hangs up; the callee hears each', async () => {
    const { callId, record, said, callee } = await place('SingleCallByVoice', {
      CalledNumber: '13900000041',
      VoiceCode: VOICE,
      PlayTimes: '2',
      OutId: 'voice-1',
    });
    assert.equal(record.state, 'ended');
    assert.equal(record.statusCode, '200000');
    assert.equal(record.hangupDirection, '机器', 'the platform hung up');
    assert.deepEqual(
      said.map((s) => s.code),
      [VOICE, VOICE],
    );
    assert.equal(
      heard(callee).length,
      2,
      `the callee heard the file twice: ${JSON.stringify(heard(callee))}`,
    );
    const [report] = receipts(callId, 'VoiceReport');
    assert.equal(report!.voice_type, 'voice');
    assert.equal(report!.out_id, 'voice-1');
    assert.equal(report!.status_code, '200000');
  });

  test('SingleCallByTts speaks the template filled from TtsParam, once with PlayTimes 1', async () => {
    const { record, said, callee } = await place('SingleCallByTts', {
      CalledNumber: '13900000041',
      TtsCode: 'TTS_171950027',
      TtsParam: '{"name":"张三","code":"4821"}',
      PlayTimes: '1',
    });
    assert.equal(record.statusCode, '200000');
    assert.deepEqual(
      said.map((s) => [s.code, s.texts]),
      [['TTS_171950027', ['您好张三，您的验证码是4821']]],
    );
    assert.ok(heard(callee).length >= 1, 'the callee heard it');
  });

  test('SingleCallByTts: a second call to the callee within a minute is refused', async () => {
    const r = await callAction('core', creds(), 'SingleCallByTts', {
      CalledNumber: '13900000041',
      TtsCode: 'TTS_171950027',
      TtsParam: '{"name":"张三","code":"4821"}',
    });
    assert.equal(r.code, 'isv.BUSINESS_LIMIT_CONTROL', JSON.stringify(r));
    assert.equal(r.status, 200);
  });

  test('IvrCall: the callee presses 2 after the menu; the mapped prompt plays, then ByeCode', async () => {
    const { callId, record, said } = await place('IvrCall', {
      CalledShowNumber: e2e.displayNumber,
      CalledNumber: '13900000042',
      StartCode: 'TTS_100000001',
      'MenuKeyMap.1.Key': '1',
      'MenuKeyMap.1.Code': VOICE,
      'MenuKeyMap.2.Key': '2',
      'MenuKeyMap.2.Code': 'TTS_100000002',
      'MenuKeyMap.2.TtsParams': '{"who":"人工客服"}',
      ByeCode: 'TTS_100000003',
      Timeout: '5000',
    });
    assert.equal(record.statusCode, '200000');
    assert.equal(record.dtmf, '2');
    assert.deepEqual(
      said.map((s) => s.texts.join()),
      ['请按一查询余额，按二转人工', '正在为您转接人工客服', '感谢您的接听，再见'],
    );
    const keys = receipts(callId, 'VoiceCallReport').filter((r) => r.status_code === '300000');
    assert.deepEqual(
      keys.map((k) => k.dtmf),
      ['2'],
      'the key is reported as on any call',
    );
    assert.equal(receipts(callId, 'VoiceReport')[0]!.dtmf, '2');
  });

  test('IvrCall: no key within Timeout plays the menu again, PlayTimes in all, then ByeCode', async () => {
    const { record, said, callee } = await place('IvrCall', {
      CalledShowNumber: e2e.displayNumber,
      CalledNumber: '13900000043',
      StartCode: 'TTS_100000001',
      'MenuKeyMap.1.Key': '1',
      'MenuKeyMap.1.Code': VOICE,
      ByeCode: 'TTS_100000003',
      PlayTimes: '2',
      Timeout: '1000',
    });
    assert.equal(record.statusCode, '200000');
    assert.equal(record.dtmf, null);
    assert.deepEqual(
      said.map((s) => s.code),
      ['TTS_100000001', 'TTS_100000001', 'TTS_100000003'],
    );
    assert.ok(heard(callee).length >= 3, `the callee heard menu, menu, goodbye: ${heard(callee).length}`);
  });

  test('CancelCall: a queued call never dials, a ringing one is cancelled; both end CANCEL; an ended one is Status false', async () => {
    const store = e2e.running.store;
    // One call at a time through the phone network, so the second one waits in the queue.
    const trunk = store.trunks.find('phonenet')!;
    store.trunks.upsert({ ...trunk, maxCalls: 1 });
    await new Promise((r) => setTimeout(r, 2100)); // the dialer's trunk cache
    try {
      const voice = { VoiceCode: VOICE, PlayTimes: '1' };
      const ringing = await callAction('core', creds(), 'SingleCallByVoice', {
        CalledNumber: '13900000044',
        ...voice,
      });
      const queued = await callAction('core', creds(), 'SingleCallByVoice', {
        CalledNumber: '13900000041',
        ...voice,
      });
      const ringingId = String(ringing.body!.CallId);
      const queuedId = String(queued.body!.CallId);
      const until = Date.now() + 10_000;
      while (store.calls.find(ringingId)!.state !== 'ringing') {
        assert.ok(Date.now() < until, `state ${store.calls.find(ringingId)!.state}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(store.calls.find(queuedId)!.state, 'queued');

      const cancelQueued = await callAction('core', creds(), 'CancelCall', { CallId: queuedId });
      assert.equal(cancelQueued.code, 'OK');
      assert.equal(cancelQueued.body!.Status, true);
      const q = store.calls.find(queuedId)!;
      assert.equal(q.state, 'failed');
      assert.equal(q.smartStatusCode, 'CANCEL');
      assert.equal(q.originateAt, null, 'never dialled');
      assert.equal(receipts(queuedId, 'VoiceReport')[0]!.smart_status_code, 'CANCEL');

      const cancelRinging = await callAction('core', creds(), 'CancelCall', { CallId: ringingId });
      assert.equal(cancelRinging.body!.Status, true);
      const r = await e2e.waitForEnd(ringingId, 10_000);
      assert.equal(r.state, 'failed');
      assert.equal(r.statusCode, '200003');
      assert.equal(r.smartStatusCode, 'CANCEL');
      const callee = await personaCall('13900000044');
      assert.equal(callee.outcome, 'cancelled', 'the callee saw the CANCEL');

      const again = await callAction('core', creds(), 'CancelCall', { CallId: ringingId });
      assert.equal(again.body!.Status, false, 'an ended call');
    } finally {
      store.trunks.upsert(trunk);
    }
  });
});

/**
 * Inbound smart calls (spec §4.7) end to end: a phonenet persona (cooperative-en) places a call
 * through kamailio — a carrier that relays the INVITE with a Diversion header — to a number the
 * account marked inbound. The business's callback gets `callin`, answers with a prompt; the persona
 * hears it, says "hello", the callback gets a `normal` with those words and hangs up with a goodbye.
 * Receipts and the recording follow as for an outbound call. A `hangup` reply declines (603).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { TrunkAdmin } from '../../src/calls/trunkAdmin.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Carrier } from '../../src/phonenet/carrier.js';
import { TtsPersonaVoice } from '../../src/phonenet/speechVoice.js';
import { EspeakTts } from '../../src/speech/espeak/espeakTts.js';
import type { CallRecord } from '../../src/store/records.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { sipInvite } from '../cli/sipProbe.js';
import { type ApiHarness, startApiHarness } from '../helpers/apiHarness.js';
import { CallbackServer } from '../helpers/e2eHarness.js';
import { lanePortRange, laneRtpPorts } from '../helpers/lanes.js';
import { freePort } from '../helpers/ports.js';
import { type Peer, startKamailioInbound } from '../helpers/sipPeers.js';

const INBOUND = '057100001111';
/** As the carrier writes it: E.164, which smartcall reads back to the national number. */
const DIALLED = '+8657100001111';
const DIVERTED_FROM = '057122223333';
const PERSONA = '13800000002'; // cooperative-en: waits for the prompt to end, says "hello"

let api: ApiHarness;
let callbacks: CallbackServer;
let kamailio: Peer;
let carrier: Carrier;
let tts: EspeakTts;
let kamailioUri: string;

before(async () => {
  callbacks = new CallbackServer();
  await callbacks.start();
  api = await startApiHarness({ rtp: lanePortRange('rtp') });
  api.admin.setCallback('acme', { url: callbacks.url });
  api.admin.setReceipts('acme', {
    url: 'http://127.0.0.1:9/receipts', // never delivered: the test reads them from the store
    types: ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport'],
  });
  api.admin.addNumber('acme', INBOUND, { inbound: true });
  api.admin.addNumber('acme', '057100002222'); // owned, not inbound

  const sip = api.running.telephony.ua.localEndpoint('udp')!;
  const port = await freePort();
  kamailio = await startKamailioInbound({
    port,
    smartcallUri: `sip:127.0.0.1:${sip.port}`,
    divertedFrom: DIVERTED_FROM,
  });
  kamailioUri = `sip:127.0.0.1:${port}`;
  // The carrier's INVITEs come from 127.0.0.1: the door lets that trunk's range in.
  new TrunkAdmin(api.running.store, SecretBox.forConfig({ dataDir: api.dataDir })).add({
    name: 'carrier',
    uri: kamailioUri,
    inboundFrom: ['127.0.0.1/32'],
    isDefault: true,
  });

  tts = new EspeakTts();
  carrier = await Carrier.create({
    sipPort: 0,
    ...laneRtpPorts('phonenet'),
    voice: new TtsPersonaVoice(tts),
    warmUp: false,
    logger: silentLogger(),
  });
});

after(async () => {
  await carrier?.close();
  await tts?.close();
  await api?.close();
  await kamailio?.stop();
  await callbacks?.close();
});

async function finalRecord(callId: string): Promise<CallRecord> {
  const until = Date.now() + 20_000;
  for (;;) {
    const record = api.running.store.calls.find(callId);
    if (record && (record.state === 'ended' || record.state === 'failed')) return record;
    assert.ok(Date.now() < until, `the call ended (state ${record?.state})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

function receipts(callId: string, type: string): Record<string, unknown>[] {
  return api.running.store.receipts
    .listByCall(callId)
    .filter((r) => r.type === type)
    .map((r) => JSON.parse(r.payload) as Record<string, unknown>);
}

test('an inbound call through kamailio: callin, answer with a prompt, the caller speaks, the callback hears it', async () => {
  callbacks.script = (cb) => {
    if (cb.contentType === 'callin')
      return {
        action: 'answer',
        action_code: '$greeting$',
        action_code_param: JSON.stringify({ greeting: 'Hello, this is the service line. How can I help?' }),
        tts_conf: true,
        tts_style: 'harry',
        record_flag: true,
        dynamic_id: 'welcome',
        pause_time: 600,
      };
    if (cb.contentType === 'normal')
      return {
        action: 'hangup',
        action_code: '$bye$',
        action_code_param: JSON.stringify({ bye: 'Goodbye.' }),
      };
    return { action: 'donothing' };
  };
  const result = await carrier.dial({ from: PERSONA, to: DIALLED, server: kamailioUri });
  assert.equal(result.outcome, 'answered', JSON.stringify(result.events));
  assert.equal(result.endedBy, 'remote', 'smartcall hung up after the goodbye');
  const said = result.events.filter((e) => e.type === 'said').map((e) => e.text);
  assert.deepEqual(said.slice(0, 1), ['hello']);
  assert.ok(
    result.events.filter((e) => e.type === 'heard').length >= 2,
    'the persona heard the greeting and the goodbye',
  );
  assert.match(kamailio.output(), /RELAY INVITE \+8657100001111/, 'the INVITE came through kamailio');

  const callin = callbacks.received.find((c) => c.contentType === 'callin');
  assert.ok(callin, JSON.stringify(callbacks.received));
  assert.deepEqual(callin.content, { caller: PERSONA, callee: DIALLED, orgcallee: DIVERTED_FROM });
  const callId = callin.callId;
  assert.match(callId, /^\d{12}\^\d{12}$/);
  const turns = callbacks.forCall(callId);
  assert.deepEqual(
    turns.map((c) => c.contentType),
    ['callin', 'normal'],
  );
  const normal = turns[1]!;
  assert.equal(normal.content.words, 'hello');
  assert.equal(normal.content.dynamic_id, 'welcome');
  assert.equal(normal.content.identity, PERSONA);
  assert.equal(typeof normal.content.record_begin_time, 'number');

  const record = await finalRecord(callId);
  assert.equal(record.state, 'ended');
  assert.equal(record.calledNumber, INBOUND);
  assert.equal(record.calledShowNumber, PERSONA);
  assert.equal(record.statusCode, '200000');
  assert.equal(record.hangupDirection, '机器');
  assert.equal(record.trunk, 'carrier');
  assert.ok(record.recordPath && existsSync(record.recordPath), 'the call was recorded');
  const stored = JSON.parse(record.request) as { inbound?: unknown };
  assert.deepEqual(stored.inbound, { caller: PERSONA, callee: DIALLED, orgcallee: DIVERTED_FROM });

  const progress = receipts(callId, 'VoiceCallReport').map((r) => r.status_code);
  assert.deepEqual(progress, ['200101', '200201', '200102', '200100']);
  const [report] = receipts(callId, 'VoiceReport');
  assert.ok(report, 'a VoiceReport');
  assert.equal(report.caller, PERSONA);
  assert.equal(report.callee, INBOUND);
  assert.equal(report.status_code, '200000');
  assert.equal(report.smart_status_code, 'ANSWERED');
  assert.ok(Number(report.duration) >= 1);
  const [recordReport] = receipts(callId, 'VoiceRecordReport');
  assert.ok(recordReport?.record_file, 'a VoiceRecordReport with the recording');
});

test('a hangup reply to callin declines the call: the caller sees 603, the VoiceReport says why', async () => {
  callbacks.script = (cb) => (cb.contentType === 'callin' ? { action: 'hangup' } : { action: 'donothing' });
  const before = callbacks.received.length;
  const result = await carrier.dial({ from: PERSONA, to: INBOUND, server: kamailioUri });
  assert.equal(result.outcome, 'rejected', JSON.stringify(result.events));
  assert.equal(result.status, 603);
  const callin = callbacks.received.slice(before).find((c) => c.contentType === 'callin');
  assert.ok(callin);
  const record = await finalRecord(callin.callId);
  assert.equal(record.state, 'failed');
  assert.equal(record.sipStatus, 603);
  assert.equal(record.answerAt, null);
  const [report] = receipts(callin.callId, 'VoiceReport');
  assert.equal(report?.status_code, '200005');
  assert.equal(report?.smart_status_code, 'CALL_REJECTED');
  assert.match(String(report?.status_msg), /callin → hangup/);
  assert.equal(callbacks.forCall(callin.callId).length, 1, 'no conversation');
});

test('a callback that fails refuses the call (480); numbers not marked inbound or not owned get 404', async () => {
  api.admin.setCallback('acme', { url: callbacks.url, timeoutMs: 300 });
  callbacks.delayMs = 800;
  callbacks.script = () => ({ action: 'answer' });
  const late = await carrier.dial({ from: PERSONA, to: INBOUND, server: kamailioUri });
  assert.equal(late.status, 480, 'no reply in time: 480');
  callbacks.delayMs = 0;
  const failed = await finalRecord(callbacks.received.at(-1)!.callId);
  assert.match(String(failed.statusMsg), /callin 回调失败 \(timeout\)/);
  await new Promise((res) => setTimeout(res, 600)); // the late reply goes out before the next call

  callbacks.script = () => 'this is not JSON';
  const bad = await carrier.dial({ from: PERSONA, to: INBOUND, server: kamailioUri });
  assert.equal(bad.status, 500, 'a reply that is not one: 500');
  callbacks.script = () => ({ action: 'play', action_code: 'x.wav' });
  assert.equal((await carrier.dial({ from: PERSONA, to: INBOUND, server: kamailioUri })).status, 500);

  const before = callbacks.received.length;
  const notInbound = await carrier.dial({ from: PERSONA, to: '057100002222', server: kamailioUri });
  assert.equal(notInbound.status, 404);
  const nobody = await carrier.dial({ from: PERSONA, to: '057100009999', server: kamailioUri });
  assert.equal(nobody.status, 404);
  assert.equal(callbacks.received.length, before, 'no callback for them');
});

test('a trunk that requires SRTP gets 488 for a plain offer, before any callback', async () => {
  const trunks = new TrunkAdmin(api.running.store, SecretBox.forConfig({ dataDir: api.dataDir }));
  const carrierTrunk = { name: 'carrier', uri: kamailioUri, inboundFrom: ['127.0.0.1/32'], isDefault: true };
  trunks.add({ ...carrierTrunk, srtp: 'required' });
  try {
    callbacks.script = () => ({ action: 'answer' });
    const before = callbacks.received.length;
    const plain = await carrier.dial({ from: PERSONA, to: INBOUND, server: kamailioUri });
    assert.equal(plain.status, 488, 'the persona offers plain RTP/AVP');
    assert.equal(callbacks.received.length, before, 'no callin for a call that cannot be taken');
  } finally {
    trunks.add(carrierTrunk);
  }
});

test('an RTP/SAVP offer with no crypto suite we support gets 488 before any callback', async () => {
  callbacks.script = () => ({ action: 'answer' });
  const before = callbacks.received.length;
  const answer = await sipInvite({
    host: '127.0.0.1',
    port: api.running.telephony.ua.localEndpoint('udp')!.port,
    number: INBOUND,
    media: {
      profile: 'RTP/SAVP',
      attributes: [
        'a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEy',
      ],
    },
  });
  assert.equal(answer?.status, 488);
  assert.equal(callbacks.received.length, before, 'no callin for a call that cannot be taken');
});

/**
 * A SmartCall through third-party SIP software end to end: smartcall (standalone, with a real trunk
 * configured by the admin API) → kamailio as a carrier that demands digest authentication → baresip
 * as the callee's phone. baresip hears our uploaded prompt, answers with its own recording, and the
 * business's callback hears what it said.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TrunkAdmin } from '../../src/calls/trunkAdmin.js';
import { readWav } from '../../src/media/wavReader.js';
import { VoiceLibrary } from '../../src/media-library/voiceLibrary.js';
import { EspeakTts } from '../../src/speech/espeak/espeakTts.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { callAction } from '../helpers/aliClients.js';
import { type ApiHarness, startApiHarness } from '../helpers/apiHarness.js';
import { chirp, findInRecording, pcmWav } from '../helpers/audio.js';
import { CallbackServer } from '../helpers/e2eHarness.js';
import { lanePortRange, peerRtpPorts } from '../helpers/lanes.js';
import { freePort } from '../helpers/ports.js';
import { type Peer, startBaresipCallee, startKamailioTrunk } from '../helpers/sipPeers.js';

const CALLEE = '13900001234';
const PROMPT = chirp(3, 400, 1400, 3);

let api: ApiHarness;
let callbacks: CallbackServer;
let baresip: Peer & { recordings(): string[] };
let kamailio: Peer;

before(async () => {
  callbacks = new CallbackServer();
  await callbacks.start();
  api = await startApiHarness({ rtp: lanePortRange('rtp') });
  api.admin.setCallback('acme', { url: callbacks.url });

  // baresip answers with "please call me later" (after a second of silence, then stays on the line)
  const tts = new EspeakTts();
  const chunks: Int16Array[] = [];
  for await (const c of tts.synthesize({ text: 'please call me later', voice: 'harry' })) chunks.push(c);
  await tts.close();
  const speech = new Int16Array(8000 * 12);
  let at = 8000 * 4;
  for (const c of chunks) {
    speech.set(c, at);
    at += c.length;
  }
  const promptFile = join(api.dataDir, 'callee.wav');
  writeFileSync(promptFile, pcmWav(speech));
  const baresipPort = await freePort();
  baresip = await startBaresipCallee({
    port: baresipPort,
    users: [CALLEE],
    rtpPorts: peerRtpPorts(),
    promptWav: promptFile,
  });
  const trunkPort = await freePort();
  kamailio = await startKamailioTrunk({
    port: trunkPort,
    calleeUri: `sip:127.0.0.1:${baresipPort}`,
    user: 'carrier-user',
    pass: 'carrier-pass',
  });

  const box = SecretBox.forConfig({ dataDir: api.dataDir });
  new TrunkAdmin(api.running.store, box).add({
    name: 'carrier',
    uri: `sip:127.0.0.1:${trunkPort}`,
    username: 'carrier-user',
    password: 'carrier-pass',
    cps: 5,
    maxCalls: 5,
    isDefault: true,
  });
});

after(async () => {
  await api?.close();
  await kamailio?.stop();
  await baresip?.stop();
  await callbacks?.close();
});

test('a SmartCall reaches baresip through kamailio: it hears our prompt, and its words reach the callback', async () => {
  const promptWav = join(api.dataDir, 'prompt.wav');
  writeFileSync(promptWav, pcmWav(PROMPT));
  const voice = await new VoiceLibrary(api.running.store, api.dataDir).upload(
    api.admin.account('acme').id,
    promptWav,
  );
  callbacks.script = () => ({ action: 'hangup' });
  const r = await callAction(
    'core',
    { endpoint: api.endpoint, accessKeyId: api.accessKeyId, accessKeySecret: api.accessKeySecret },
    'SmartCall',
    { CalledShowNumber: '057188880000', CalledNumber: CALLEE, VoiceCode: voice.id, MuteTime: '15000' },
  );
  assert.equal(r.code, 'OK', JSON.stringify(r));
  const callId = String(r.body!.CallId);
  const until = Date.now() + 40_000;
  let record = api.running.store.calls.find(callId)!;
  while (record.state !== 'ended' && record.state !== 'failed') {
    assert.ok(Date.now() < until, `the call ended (state ${record.state})`);
    await new Promise((res) => setTimeout(res, 100));
    record = api.running.store.calls.find(callId)!;
  }
  assert.equal(record.state, 'ended', JSON.stringify(record));
  assert.equal(record.trunk, 'carrier');
  const normal = callbacks.forCall(callId).find((c) => c.contentType === 'normal');
  assert.ok(normal, JSON.stringify(callbacks.forCall(callId)));
  assert.equal(normal.content.words, 'please call me later');
  assert.equal(record.hangupDirection, '机器');

  await new Promise((res) => setTimeout(res, 300)); // baresip closes its recording after the BYE
  const heard = baresip.recordings().find((f) => f.endsWith('-dec.wav'));
  assert.ok(heard, 'baresip recorded the call');
  const match = findInRecording(PROMPT, readWav(readFileSync(heard)).samples);
  assert.ok(match.envelope > 0.9, `our prompt at baresip: ${JSON.stringify(match)}`);
});

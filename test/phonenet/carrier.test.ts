/**
 * The carrier with personas from a file: routing (404 for unknown numbers), steps beyond the
 * built-in set (repeat, per-step voice, giving up, the call-length cap, a broken script), the
 * timeline files and their retention, the loopback-only rule, and a clean close with calls up.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/observability/logger.js';
import { listArchive, readTimelineFile } from '../../src/phonenet/callArchive.js';
import { Carrier, type RefusedCall } from '../../src/phonenet/carrier.js';
import { parsePersonaText } from '../../src/phonenet/personaFile.js';
import { SyntheticVoice } from '../../src/phonenet/syntheticVoice.js';
import { OutboundCall } from '../../src/telephony/outboundCall.js';
import { Telephony } from '../../src/telephony/telephony.js';
import { findInRecording } from '../helpers/audio.js';
import { tempDir } from '../helpers/tempDir.js';
import { dial } from './platformDriver.js';

const PERSONAS = `personas:
  - name: counter
    number: "1390000****"
    steps:
      - ring: 200
      - answer
      - repeat:
          times: 3
          steps:
            - say: 一
            - wait: 100
      - say: { text: hello, voice: abby }
      - wait: 300
      - hangup
  - name: gives-up
    number: "13911110001"
    steps:
      - never-answer: { giveUpAfterMs: 800, status: 408 }
  - name: capped
    number: "13911110002"
    maxCallMs: 1200
    steps:
      - answer
  - name: broken
    number: "13911110003"
    steps:
      - ring: 100
      - say: 这句话说不出来
  - name: listener
    number: "13911110004"
    steps:
      - answer
      - wait: prompt-end
      - silence: 300
      - hangup
`;

const voice = new SyntheticVoice();
const dir = tempDir('phonenet-carrier-');
let carrier: Carrier;
let platform: Telephony;

before(async () => {
  carrier = await Carrier.create({
    sipPort: 0,
    rtpPortMin: 27200,
    rtpPortMax: 27399,
    personas: parsePersonaText(PERSONAS, 'test.yaml'),
    builtins: false,
    runDir: dir.path,
    keepCalls: 3,
    voice,
    timers: { t1: 100 },
    logger: silentLogger(),
  });
  platform = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: false,
    rtpPortMin: 28200,
    rtpPortMax: 28399,
    timers: { t1: 100 },
    logger: silentLogger(),
  });
});

after(async () => {
  await platform.close();
  await carrier.close();
  dir.remove();
});

function assertIdle(tel: Telephony): void {
  const s = tel.ua.stats();
  assert.equal(s.calls, 0, 'no call left');
  assert.equal(s.dialogs, 0, 'no dialog left');
  assert.equal(tel.openMediaSessions, 0, 'no RTP session left');
}

test('scripts run as written: wildcard routing, repeat, a voice per step, then the persona hangs up', async () => {
  const d = await dial(platform, carrier.uriFor('13900004321'), { bargeIn: false, lingerMs: 10_000 });
  const p = await carrier.callResult(d.callId);
  assert.equal(p.persona, 'counter');
  const said = p.events.filter((e) => e.type === 'said');
  assert.deepEqual(
    said.map((e) => [e.text, e.voice]),
    [
      ['一', 'xiaoyun'],
      ['一', 'xiaoyun'],
      ['一', 'xiaoyun'],
      ['hello', 'abby'],
    ],
  );
  for (let i = 1; i < said.length; i++)
    assert.ok((said[i]!.startMs as number) >= (said[i - 1]!.endMs as number) + 80, 'the waits are kept');
  const hello = findInRecording(voice.render('hello', 'abby'), d.heard, 400);
  assert.ok(hello.envelope > 0.85 && hello.waveform > 0.7, JSON.stringify(hello));
  assert.equal(d.endedBy, 'remote');
  assert.equal(p.endedBy, 'local');
  assert.ok(p.events.some((e) => e.type === 'bye-sent'));
});

test('a persona that never answers can give up with its own status', async () => {
  const d = await dial(platform, carrier.uriFor('13911110001'));
  assert.equal(d.failure?.status, 408);
  assert.ok(d.failedAt! >= 750, `gave up after ${d.failedAt} ms`);
  assert.equal((await carrier.callResult(d.callId)).outcome, 'rejected');
});

test('a call that outlives maxCallMs is hung up by the persona', async () => {
  const d = await dial(platform, carrier.uriFor('13911110002'), { lingerMs: 10_000 });
  const p = await carrier.callResult(d.callId);
  assert.equal(d.endedBy, 'remote');
  assert.ok(p.events.some((e) => e.type === 'max-duration'));
  assert.ok(p.durationMs >= 1150 && p.durationMs < 3000, `${p.durationMs} ms`);
});

test('a step that cannot run (speaking before any audio) is logged in the timeline and fails the call', async () => {
  const d = await dial(platform, carrier.uriFor('13911110003'));
  assert.equal(d.failure?.status, 480);
  const p = await carrier.callResult(d.callId);
  assert.match(String(p.events.find((e) => e.type === 'error')?.message), /no audio yet/);
});

test('numbers no persona claims get 404, and the carrier says so', async () => {
  const refused = once(carrier, 'refused') as Promise<[RefusedCall]>;
  const d = await dial(platform, carrier.uriFor('13700000000'));
  assert.equal(d.failure?.status, 404);
  const [r] = await refused;
  assert.equal(r.number, '13700000000');
  assert.equal(r.status, 404);
});

test('the timeline file holds the same events as memory, and the heard prompt and DTMF are in it', async () => {
  const call = await OutboundCall.place(platform, { target: carrier.uriFor('13911110004') });
  await once(call, 'answered');
  const prompt = voice.render('请按一', 'xiaoyun');
  call.media.play(new (await import('../../src/media/pcmSource.js')).PcmSource(prompt));
  call.media.sendDtmf('9');
  await once(call, 'ended');
  const p = await carrier.callResult(call.sip.callId);
  const archived = listArchive(dir.path).find((c) => c.callId === call.sip.callId);
  assert.ok(archived, 'the call is in the run directory');
  assert.deepEqual(readTimelineFile(archived.timeline), JSON.parse(JSON.stringify(p.events)));
  assert.equal(archived.recording, p.recording);
  const heard = p.events.filter((e) => e.type === 'heard');
  assert.equal(heard.length, 1);
  const length = (heard[0]!.endMs as number) - (heard[0]!.startMs as number);
  assert.ok(
    Math.abs(length - prompt.length / 8) < 150,
    `heard ${length} ms of a ${prompt.length / 8} ms prompt`,
  );
  assert.deepEqual(
    p.events.filter((e) => e.type === 'dtmf-received').map((e) => e.digit),
    ['9'],
  );
  const waited = p.events.find((e) => e.type === 'waited');
  assert.equal(waited?.reached, true);
  for (const e of p.events) assert.ok(typeof e.t === 'number' && !Number.isNaN(Date.parse(e.at as string)));
});

test('only the newest keepCalls calls stay in the run directory', async () => {
  await Promise.all(
    Array.from({ length: 3 }, () => dial(platform, carrier.uriFor('13700000001')).then(() => undefined)),
  );
  for (let i = 0; i < 2; i++) await dial(platform, carrier.uriFor('13911110001'));
  const calls = listArchive(dir.path);
  assert.equal(calls.length, 3);
  const files = readdirSync(dir.path).flatMap((d) => readdirSync(`${dir.path}/${d}`));
  assert.ok(files.length <= 6, files.join(', '));
  assertIdle(platform);
  assertIdle(carrier.telephony);
});

test('INVITEs from a source the carrier does not accept are refused with 403 unless it accepts any', async () => {
  // A carrier that takes calls from 127.0.0.1 only, and a caller on 127.0.0.2: the packets never
  // leave this machine, but their source is outside the accepted range — exactly what a
  // non-loopback caller meets with the default range (127.0.0.0/8, ::1; tested in routing.test.ts).
  const address = '127.0.0.2';
  const outsider = await Telephony.create({
    address,
    sipUdpPort: 0,
    sipTcpPort: false,
    rtpPortMin: 28400,
    rtpPortMax: 28499,
    timers: { t1: 100 },
    logger: silentLogger(),
  });
  const narrow = await Carrier.create({
    sipPort: 0,
    rtpPortMin: 27500,
    rtpPortMax: 27599,
    personas: parsePersonaText(PERSONAS, 'test.yaml'),
    builtins: false,
    allowedSources: ['127.0.0.1/32'],
    voice,
    logger: silentLogger(),
  });
  const open = await Carrier.create({
    sipPort: 0,
    rtpPortMin: 27400,
    rtpPortMax: 27499,
    personas: parsePersonaText(PERSONAS, 'test.yaml'),
    builtins: false,
    allowedSources: ['127.0.0.1/32'],
    acceptNonLoopback: true,
    voice,
    logger: silentLogger(),
  });
  try {
    const refused = once(narrow, 'refused') as Promise<[RefusedCall]>;
    const d = await dial(outsider, narrow.uriFor('13911110001'));
    assert.equal(d.failure?.status, 403);
    const [r] = await refused;
    assert.equal(r.source.address, address);
    const allowed = await dial(outsider, open.uriFor('13911110001'));
    assert.equal(allowed.failure?.status, 408, 'the persona itself answered the call');
  } finally {
    await outsider.close();
    await narrow.close();
    await open.close();
  }
});

test('closing the carrier hangs up the calls in progress and releases everything', async () => {
  const other = await Carrier.create({
    sipPort: 0,
    rtpPortMin: 27500,
    rtpPortMax: 27599,
    personas: parsePersonaText(PERSONAS, 'test.yaml'),
    builtins: false,
    voice,
    logger: silentLogger(),
  });
  const answered = await OutboundCall.place(platform, { target: other.uriFor('13911110002') });
  const ringing = await OutboundCall.place(platform, { target: other.uriFor('13911110001') });
  await once(answered, 'answered');
  const endedAnswered = once(answered, 'ended');
  const failedRinging = once(ringing, 'failed');
  await other.close();
  const [by] = await endedAnswered;
  assert.equal(by, 'remote', 'the persona sent BYE');
  const [cause] = await failedRinging;
  assert.equal(cause.status, 503);
  assertIdle(other.telephony);
  assert.equal(other.activeCalls, 0);
});

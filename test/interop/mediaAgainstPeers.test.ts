/**
 * Calls with audio against peers nobody here wrote: what we play must arrive (correlated against
 * the source), what they play must reach us, DTMF must arrive in order — through baresip as a
 * phone, kamailio as an authenticating trunk, and sipp as echo, early-media and DTMF peer.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PcmSource } from '../../src/media/pcmSource.js';
import { readWav } from '../../src/media/wavReader.js';
import { silentLogger } from '../../src/observability/logger.js';
import { OutboundCall } from '../../src/telephony/outboundCall.js';
import { Telephony } from '../../src/telephony/telephony.js';
import { chirp, FrameCollector, findInRecording, pcmWav, ulawWav } from '../helpers/audio.js';
import { BaresipControl } from '../helpers/baresipControl.js';
import { laneRtpPorts, peerRtpPorts } from '../helpers/lanes.js';
import { freePort } from '../helpers/ports.js';
import { startBaresipCallee, startKamailioTrunk, startSippUas } from '../helpers/sipPeers.js';
import { tempDir } from '../helpers/tempDir.js';

const OURS = chirp(3, 300, 1500, 3); // what smartcall plays
const THEIRS = chirp(3, 1800, 500, 5); // what the far end plays
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let tel: Telephony;
const dir = tempDir();
before(async () => {
  tel = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: 0,
    ...laneRtpPorts('rtp'),
    timers: { t1: 100 },
    logger: silentLogger(),
  });
});
after(async () => {
  await tel.close();
  dir.remove();
});

function assertIdle(): void {
  const s = tel.ua.stats();
  assert.equal(s.calls, 0, 'no call left');
  assert.equal(s.dialogs, 0, 'no dialog left');
  assert.equal(tel.openMediaSessions, 0, 'no RTP session left');
}

async function baresip(promptSeconds = 8) {
  const port = await freePort();
  const ctrlPort = await freePort();
  const prompt = join(dir.path, `theirs-${port}.wav`);
  // baresip hangs up about a second after its prompt ends: pad with silence to keep the call up
  const padded = new Int16Array(promptSeconds * 8000);
  padded.set(THEIRS);
  writeFileSync(prompt, pcmWav(padded));
  const peer = await startBaresipCallee({
    port,
    rtpPorts: peerRtpPorts(),
    promptWav: prompt,
    ctrlPort,
  });
  return { peer, port, ctrlPort };
}

/** Plays OURS into an answered call, collects what comes back for `ms`, sends `digits`. */
async function converse(call: OutboundCall, ms: number, digits?: string) {
  const heard = new FrameCollector();
  call.media.on('frame', heard.add);
  await once(call, 'answered');
  call.media.play(new PcmSource(OURS, 8000), { id: 'ours' });
  if (digits) {
    await sleep(3300);
    call.media.sendDtmf(digits);
  }
  await sleep(ms - (digits ? 3300 : 0));
  call.hangup();
  await once(call, 'ended');
  return heard.samples();
}

test('baresip hears what we play, we hear what it plays, and our DTMF arrives in order', async () => {
  const { peer, port, ctrlPort } = await baresip();
  const ctrl = await BaresipControl.connect(ctrlPort);
  try {
    const call = await OutboundCall.place(tel, { target: `sip:callee@127.0.0.1:${port}` });
    const heard = await converse(call, 5000, '159#');
    await sleep(300); // baresip closes its recording after the BYE
    const theirRecording = peer.recordings().find((f) => f.endsWith('-dec.wav'));
    assert.ok(theirRecording, `baresip recorded nothing: ${peer.recordings().join(', ')}`);
    const atBaresip = findInRecording(OURS, readWav(readFileSync(theirRecording)).samples);
    assert.ok(
      atBaresip.envelope > 0.9 && atBaresip.waveform > 0.8,
      `our prompt at baresip: ${JSON.stringify(atBaresip)}`,
    );
    const atUs = findInRecording(THEIRS, heard);
    assert.ok(atUs.envelope > 0.9 && atUs.waveform > 0.8, `baresip's prompt at us: ${JSON.stringify(atUs)}`);
    assert.equal(ctrl.digits(), '159#');
  } finally {
    ctrl.close();
    await peer.stop();
  }
  assertIdle();
});

for (const transport of ['udp', 'tcp'] as const) {
  test(`through kamailio as a trunk that demands digest auth (407, ${transport}), audio flows both ways`, async () => {
    const { peer, port } = await baresip();
    const trunkPort = await freePort();
    const trunk = await startKamailioTrunk({
      port: trunkPort,
      calleeUri: `sip:127.0.0.1:${port}`,
      user: 'trunkuser',
      pass: 'trunkpass',
    });
    try {
      const call = await OutboundCall.place(tel, {
        target: `sip:callee@127.0.0.1:${trunkPort}`,
        transport,
        credentials: { username: 'trunkuser', password: 'trunkpass' },
      });
      const heard = await converse(call, 4000);
      await sleep(300);
      const rec = peer.recordings().find((f) => f.endsWith('-dec.wav'))!;
      const atBaresip = findInRecording(OURS, readWav(readFileSync(rec)).samples);
      assert.ok(atBaresip.envelope > 0.9, `our prompt through the trunk: ${JSON.stringify(atBaresip)}`);
      const atUs = findInRecording(THEIRS, heard);
      assert.ok(atUs.envelope > 0.9, `their prompt through the trunk: ${JSON.stringify(atUs)}`);
    } finally {
      await trunk.stop();
      await peer.stop();
    }
    assertIdle();
  });
}

test("sipp's echo returns our own audio", async () => {
  const port = await freePort();
  const sipp = await startSippUas({
    scenario: 'uas_echo.xml',
    port,
    controlPort: await freePort(),
    mediaPort: await freePort(),
    args: ['-rtp_echo'],
  });
  try {
    const call = await OutboundCall.place(tel, { target: `sip:echo@127.0.0.1:${port}` });
    const heard = await converse(call, 3600);
    const echo = findInRecording(OURS, heard);
    assert.ok(echo.envelope > 0.95 && echo.waveform > 0.9, JSON.stringify(echo));
  } finally {
    await sipp.stop();
  }
  assertIdle();
});

test('a 183 early-media announcement is heard before the call fails with 480', async () => {
  const port = await freePort();
  const sipp = await startSippUas({
    scenario: 'uas_early_media.xml',
    port,
    controlPort: await freePort(),
    mediaPort: await freePort(),
    pauseMs: 3500,
    files: { 'announcement_ulaw.wav': ulawWav(THEIRS) },
  });
  try {
    const call = await OutboundCall.place(tel, { target: `sip:poweredoff@127.0.0.1:${port}` });
    const heard = new FrameCollector();
    call.media.on('frame', heard.add);
    let earlyAt = 0;
    call.once('early-media', () => {
      earlyAt = Date.now();
    });
    const [cause] = await once(call, 'failed');
    assert.ok(earlyAt > 0, 'early media was signalled');
    assert.equal(cause.status, 480);
    const announcement = findInRecording(THEIRS, heard.samples());
    assert.ok(announcement.envelope > 0.9, `announcement heard: ${JSON.stringify(announcement)}`);
  } finally {
    await sipp.stop();
  }
  assertIdle();
});

test("sipp's RFC 4733 digits 1, 2, # arrive once each, in order", async () => {
  const port = await freePort();
  const sipp = await startSippUas({
    scenario: 'uas_dtmf.xml',
    port,
    controlPort: await freePort(),
    mediaPort: await freePort(),
  });
  try {
    const call = await OutboundCall.place(tel, { target: `sip:dtmf@127.0.0.1:${port}` });
    const digits: string[] = [];
    call.media.on('dtmf', (d) => digits.push(d.digit));
    await once(call, 'answered');
    const deadline = Date.now() + 5000;
    while (digits.length < 3 && Date.now() < deadline) await sleep(50);
    await sleep(300);
    assert.deepEqual(digits, ['1', '2', '#']);
    call.hangup();
    await once(call, 'ended');
  } finally {
    await sipp.stop();
  }
  assertIdle();
});

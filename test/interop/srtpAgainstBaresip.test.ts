/**
 * SRTP with SDES against baresip (its srtp module, `mediaenc=srtp-mand`: RTP/SAVP required):
 * what we play must come out of baresip's decoder, what it plays must reach us, with either suite;
 * the packets on the wire must not be the plain G.711 audio; a call offering no SRTP to it fails.
 * And against sipp (which answers plain RTP/AVP): required fails with the reason, optional falls
 * back to plain RTP. Last, baresip calls us with RTP/SAVP and we answer it (InboundCall).
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { g711ByName } from '../../src/media/g711.js';
import { PcmSource } from '../../src/media/pcmSource.js';
import { readWav } from '../../src/media/wavReader.js';
import { silentLogger } from '../../src/observability/logger.js';
import { buildOffer, type IncomingInvite, type SdesSuite } from '../../src/sip/index.js';
import { InboundCall } from '../../src/telephony/inboundCall.js';
import { OutboundCall } from '../../src/telephony/outboundCall.js';
import { newLocalSrtp, srtpKeysFor } from '../../src/telephony/sdesKeys.js';
import { Telephony } from '../../src/telephony/telephony.js';
import { chirp, FrameCollector, findInRecording, pcmWav } from '../helpers/audio.js';
import { BaresipControl } from '../helpers/baresipControl.js';
import { laneRtpPorts, peerRtpPorts } from '../helpers/lanes.js';
import { freePort } from '../helpers/ports.js';
import { startBaresipCallee, startSippUas, waitUntil } from '../helpers/sipPeers.js';
import { tempDir } from '../helpers/tempDir.js';

const OURS = chirp(3, 300, 1500, 3); // what smartcall plays
const THEIRS = chirp(3, 1800, 500, 5); // what baresip plays
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

async function srtpBaresip(mediaenc = 'srtp-mand') {
  const port = await freePort();
  const prompt = join(dir.path, `theirs-${port}.wav`);
  const padded = new Int16Array(8 * 8000); // baresip hangs up a second after its prompt ends
  padded.set(THEIRS);
  writeFileSync(prompt, pcmWav(padded));
  const peer = await startBaresipCallee({
    port,
    rtpPorts: peerRtpPorts(),
    promptWav: prompt,
    mediaenc,
  });
  return { peer, port };
}

/** Plays OURS into the answered call for `ms`, hangs up, returns what we heard. */
async function converse(call: OutboundCall, ms: number): Promise<Int16Array> {
  const heard = new FrameCollector();
  call.media.on('frame', heard.add);
  await once(call, 'answered');
  call.media.play(new PcmSource(OURS, 8000), { id: 'ours' });
  await sleep(ms);
  call.hangup();
  await once(call, 'ended');
  return heard.samples();
}

for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as SdesSuite[]) {
  test(`with SRTP required (${suite}), baresip hears what we play and we hear what it plays`, async () => {
    const { peer, port } = await srtpBaresip();
    try {
      const call = await OutboundCall.place(tel, {
        target: `sip:callee@127.0.0.1:${port}`,
        srtp: 'required',
        srtpSuites: [suite],
      });
      let answer: { secure?: boolean; crypto?: Array<{ suite: string }> } | undefined;
      call.once('answered', (media) => {
        answer = media;
      });
      const heard = await converse(call, 4500);
      assert.equal(answer?.secure, true, 'baresip answered RTP/SAVP');
      assert.equal(answer?.crypto?.[0]?.suite, suite);
      const stats = call.media.stats.rtp;
      assert.ok(stats.packetsReceived > 100, `SRTP packets authenticated: ${stats.packetsReceived}`);
      assert.equal(stats.srtpAuthFailures, 0, JSON.stringify(stats));
      assert.equal(stats.srtpReplays, 0, JSON.stringify(stats));
      await sleep(300); // baresip closes its recording after the BYE
      const theirRecording = peer.recordings().find((f) => f.endsWith('-dec.wav'));
      assert.ok(theirRecording, `baresip recorded nothing: ${peer.recordings().join(', ')}`);
      const atBaresip = findInRecording(OURS, readWav(readFileSync(theirRecording)).samples);
      assert.ok(
        atBaresip.envelope > 0.9 && atBaresip.waveform > 0.8,
        `our prompt at baresip: ${JSON.stringify(atBaresip)}`,
      );
      const atUs = findInRecording(THEIRS, heard);
      assert.ok(
        atUs.envelope > 0.9 && atUs.waveform > 0.8,
        `baresip's prompt at us: ${JSON.stringify(atUs)}`,
      );
    } finally {
      await peer.stop();
    }
    assertIdle();
  });
}

test('with SRTP optional, best-effort baresip (mediaenc=srtp) takes the crypto on RTP/AVP: audio is SRTP', async () => {
  const { peer, port } = await srtpBaresip('srtp');
  try {
    const call = await OutboundCall.place(tel, { target: `sip:callee@127.0.0.1:${port}`, srtp: 'optional' });
    let answer: { secure?: boolean; crypto?: Array<{ suite: string }> } | undefined;
    call.once('answered', (media) => {
      answer = media;
    });
    const heard = await converse(call, 4500);
    assert.equal(answer?.secure, false, 'RTP/AVP');
    assert.equal(answer?.crypto?.length, 1, 'with one crypto line');
    const stats = call.media.stats.rtp;
    assert.ok(stats.packetsReceived > 100 && stats.srtpAuthFailures === 0, JSON.stringify(stats));
    await sleep(300);
    const rec = peer.recordings().find((f) => f.endsWith('-dec.wav'));
    assert.ok(rec, 'baresip recorded');
    const atBaresip = findInRecording(OURS, readWav(readFileSync(rec)).samples);
    assert.ok(atBaresip.envelope > 0.9, `our prompt at baresip: ${JSON.stringify(atBaresip)}`);
    const atUs = findInRecording(THEIRS, heard);
    assert.ok(atUs.envelope > 0.9, `baresip's prompt at us: ${JSON.stringify(atUs)}`);
  } finally {
    await peer.stop();
  }
  assertIdle();
});

test('a re-INVITE from baresip (hold, resume) during an SRTP call is answered with our key; audio goes on', async () => {
  const port = await freePort();
  const ctrlPort = await freePort();
  const peer = await startBaresipCallee({
    port,
    rtpPorts: peerRtpPorts(),
    ctrlPort,
    mediaenc: 'srtp-mand',
  });
  const ctrl = await BaresipControl.connect(ctrlPort);
  try {
    const call = await OutboundCall.place(tel, { target: `sip:callee@127.0.0.1:${port}`, srtp: 'required' });
    await once(call, 'answered');
    const updates: Array<{ crypto?: unknown[]; direction: string }> = [];
    call.sip.on('media-update', (_sdp, media) => updates.push(media));
    await sleep(1000);
    ctrl.send('hold');
    await waitFor(() => updates.length >= 1, 5000);
    ctrl.send('resume');
    await waitFor(() => updates.length >= 2, 5000);
    const before = call.media.stats.rtp.packetsReceived;
    await sleep(1500);
    const stats = call.media.stats.rtp;
    assert.ok(stats.packetsReceived - before > 40, `audio after resume: ${JSON.stringify(stats)}`);
    assert.equal(stats.srtpAuthFailures, 0, JSON.stringify(stats));
    assert.ok(
      updates.every((u) => u.crypto?.length === 1),
      JSON.stringify(updates),
    );
    call.hangup();
    await once(call, 'ended');
  } finally {
    ctrl.close();
    await peer.stop();
  }
  assertIdle();
});

/**
 * A UDP relay in the middle of the media: our SDP names it as our RTP address, it passes baresip's
 * packets to our RTP port and ours to baresip's, and keeps a copy of each of ours.
 */
async function relay(
  ourPort: number,
): Promise<{ socket: Socket; port: number; fromUs: Buffer[]; peerPort?: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const state: { socket: Socket; port: number; fromUs: Buffer[]; peerPort?: number } = {
    socket,
    port: socket.address().port,
    fromUs: [],
  };
  socket.on('message', (msg, rinfo) => {
    if (rinfo.port === ourPort) {
      state.fromUs.push(Buffer.from(msg));
      if (state.peerPort) socket.send(msg, state.peerPort, '127.0.0.1');
    } else {
      socket.send(msg, ourPort, '127.0.0.1');
    }
  });
  return state;
}

test('on the wire, our SRTP packets carry no plain G.711 of what we play, and a 10-byte tag', async () => {
  const { peer, port } = await srtpBaresip();
  const media = await tel.openMedia({ srtpRequired: true });
  const middle = await relay(media.localPort);
  try {
    // The parts OutboundCall joins, with the relay's port in the offer instead of ours.
    const srtp = newLocalSrtp('required')!;
    const call = tel.ua.invite({
      target: `sip:callee@127.0.0.1:${port}`,
      offer: buildOffer({ ip: '127.0.0.1', port: middle.port, srtp }),
    });
    const [, remote] = await once(call, 'answered');
    middle.peerPort = remote.port;
    media.update({ codec: remote.codec.name, srtp: srtpKeysFor(srtp, remote) });
    media.start({ address: '127.0.0.1', port: middle.port });
    const heard = new FrameCollector();
    media.on('frame', heard.add);
    const flat = new Int16Array(8000).fill(4000); // a constant level: one G.711 byte repeated
    media.play(new PcmSource(flat, 8000), { id: 'flat' });
    await sleep(1200);
    call.bye();
    await once(call, 'ended');
    const plainByte = Buffer.alloc(1);
    g711ByName(remote.codec.name).encode(Int16Array.of(4000), 0, 1, plainByte, 0);
    const audio = middle.fromUs.filter((p) => p.length === 12 + 160 + 10);
    assert.ok(audio.length > 20, `SRTP audio packets through the relay: ${middle.fromUs.length}`);
    for (const p of audio) {
      const same = p.subarray(12, 172).filter((b) => b === plainByte[0]).length;
      assert.ok(same < 20, `payload looks plain: ${same} of 160 bytes are ${plainByte[0]}`);
    }
    // baresip's packets came through the relay too, were authenticated and decrypted.
    assert.ok(media.stats.rtp.packetsReceived > 20, `from baresip: ${media.stats.rtp.packetsReceived}`);
    assert.equal(media.stats.rtp.srtpAuthFailures, 0);
    assert.ok(findInRecording(THEIRS.subarray(0, 8000), heard.samples()).envelope > 0.8, "baresip's audio");
  } finally {
    await media.close();
    middle.socket.close();
    await peer.stop();
  }
  assertIdle();
});

test('a plain-RTP call to baresip demanding SRTP does not get through', async () => {
  const { peer, port } = await srtpBaresip();
  try {
    const call = await OutboundCall.place(tel, { target: `sip:callee@127.0.0.1:${port}` });
    const [cause] = await once(call, 'failed');
    assert.ok(cause.status >= 400, `baresip refused a plain offer: ${JSON.stringify(cause)}`);
  } finally {
    await peer.stop();
  }
  assertIdle();
});

test('SRTP required, answered without crypto (sipp, plain RTP/AVP): the call fails with the reason', async () => {
  const port = await freePort();
  const sipp = await startSippUas({
    scenario: 'uas_echo.xml',
    port,
    controlPort: await freePort(),
    mediaPort: await freePort({ tcp: false, pairPlus2: true }),
    args: ['-rtp_echo'],
  });
  try {
    const call = await OutboundCall.place(tel, { target: `sip:echo@127.0.0.1:${port}`, srtp: 'required' });
    const [cause] = await once(call, 'failed');
    assert.equal(cause.code, 'bad-answer');
    assert.equal(cause.status, 488);
    assert.match(cause.reason, /crypto/);
    // The answered dialog is then ended with a BYE: wait for sipp's 200 before stopping sipp (on a
    // busy machine it came after the stop, and the dialog stayed until the BYE timed out).
    await waitUntil(() => tel.ua.stats().dialogs === 0, 5000, 'the BYE to be answered');
  } finally {
    await sipp.stop();
  }
  assertIdle();
});

test('SRTP optional, answered without crypto (sipp echo): plain RTP, our audio comes back', async () => {
  const port = await freePort();
  const sipp = await startSippUas({
    scenario: 'uas_echo.xml',
    port,
    controlPort: await freePort(),
    mediaPort: await freePort({ tcp: false, pairPlus2: true }),
    args: ['-rtp_echo'],
  });
  try {
    const call = await OutboundCall.place(tel, { target: `sip:echo@127.0.0.1:${port}`, srtp: 'optional' });
    const heard = await converse(call, 3600);
    const echo = findInRecording(OURS, heard);
    assert.ok(echo.envelope > 0.95 && echo.waveform > 0.9, JSON.stringify(echo));
    assert.equal(call.media.stats.rtp.srtpAuthFailures, 0);
  } finally {
    await sipp.stop();
  }
  assertIdle();
});

test('baresip (srtp-mand) calls us with RTP/SAVP: we answer with our own key and audio flows both ways', async () => {
  const port = await freePort();
  const ctrlPort = await freePort();
  const prompt = join(dir.path, `caller-${port}.wav`);
  const padded = new Int16Array(8 * 8000);
  padded.set(THEIRS);
  writeFileSync(prompt, pcmWav(padded));
  const peer = await startBaresipCallee({
    port,
    rtpPorts: peerRtpPorts(),
    promptWav: prompt,
    ctrlPort,
    mediaenc: 'srtp-mand',
  });
  const ctrl = await BaresipControl.connect(ctrlPort);
  const answered: Array<{ offer: string | undefined; call: InboundCall }> = [];
  const heard = new FrameCollector();
  const onIncoming = (sip: IncomingInvite) => {
    const call = new InboundCall(tel, sip);
    answered.push({ offer: sip.offer, call });
    void call.answer().then((media) => {
      media.on('frame', heard.add);
      media.play(new PcmSource(OURS, 8000));
    });
  };
  tel.ua.on('incoming', onIncoming);
  try {
    ctrl.send('dial', `sip:bot@127.0.0.1:${tel.ua.localEndpoint('udp')!.port}`);
    await waitFor(() => answered.length === 1, 5000);
    const { call, offer } = answered[0]!;
    assert.match(offer ?? '', /RTP\/SAVP/, 'baresip offered SRTP');
    await sleep(4500);
    const stats = call.media!.stats.rtp;
    assert.ok(stats.packetsReceived > 100, JSON.stringify(stats));
    assert.equal(stats.srtpAuthFailures, 0, JSON.stringify(stats));
    call.hangup();
    await once(call, 'ended');
    await sleep(300);
    const atUs = findInRecording(THEIRS, heard.samples());
    assert.ok(atUs.envelope > 0.9, `baresip's prompt at us: ${JSON.stringify(atUs)}`);
    const rec = peer.recordings().find((f) => f.endsWith('-dec.wav'));
    assert.ok(rec, 'baresip recorded');
    const atBaresip = findInRecording(OURS, readWav(readFileSync(rec)).samples);
    assert.ok(atBaresip.envelope > 0.9, `our audio at baresip: ${JSON.stringify(atBaresip)}`);
  } finally {
    tel.ua.off('incoming', onIncoming);
    ctrl.close();
    await peer.stop();
  }
  assertIdle();
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

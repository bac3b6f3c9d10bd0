/**
 * SRTP in a live MediaSession on loopback: a tampered or replayed packet is dropped and counted,
 * never reaches the frames the speech layer hears or the recording, and never latches the stream;
 * what we send is encrypted and opens with our key.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import { PCMU } from '../../src/media/g711.js';
import { MediaClock } from '../../src/media/mediaClock.js';
import { MediaSession } from '../../src/media/mediaSession.js';
import { PcmSource } from '../../src/media/pcmSource.js';
import { readWav } from '../../src/media/wavReader.js';
import { PortPool } from '../../src/rtp/portPool.js';
import { writeRtpHeader } from '../../src/rtp/rtpPacket.js';
import { SrtpReceiver, SrtpSender, type SrtpSuite } from '../../src/rtp/srtp.js';
import { waitFor } from '../rtp/waitFor.js';

const SUITE: SrtpSuite = 'AES_CM_128_HMAC_SHA1_80';
const pool = new PortPool({ min: 24400, max: 24499 });
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartcall-srtp-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One PCMU byte for a constant level, so a frame's source packet shows in its samples. */
function levelByte(level: number): number {
  const b = Buffer.alloc(1);
  PCMU.encode(Int16Array.of(level), 0, 1, b, 0);
  return b[0]!;
}
const GOOD = 8000;
const FORGED = -12000;
const decodedGood = (() => {
  const out = new Int16Array(1);
  PCMU.decode(Uint8Array.of(levelByte(GOOD)), 0, 1, out, 0);
  return out[0]!;
})();

class SrtpPeer {
  readonly socket = dgram.createSocket('udp4');
  readonly key = randomBytes(30);
  readonly sender = new SrtpSender(SUITE, this.key);
  readonly received: Buffer[] = [];
  port = 0;
  async bind(): Promise<this> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
    this.port = this.socket.address().port;
    this.socket.on('message', (m) => this.received.push(Buffer.from(m)));
    return this;
  }
  /** A protected PCMU packet of one constant level. */
  packet(seq: number, level: number, sender = this.sender): Buffer {
    const b = Buffer.alloc(12 + 160 + 10);
    writeRtpHeader(b, 0, false, seq, seq * 160, 0xabcdef);
    b.fill(levelByte(level), 12, 172);
    const length = sender.protect(b, 172);
    return b.subarray(0, length);
  }
  send(bytes: Uint8Array, to: number, from: dgram.Socket = this.socket): Promise<void> {
    return new Promise((r) => from.send(bytes, to, '127.0.0.1', () => r()));
  }
}

test('tampered and replayed SRTP packets are dropped, counted, never heard, recorded or latched on', async () => {
  const time = new ManualClock({ start: 0 });
  const clock = new MediaClock({ clock: time });
  clock.start();
  const peer = await new SrtpPeer().bind();
  const stranger = dgram.createSocket('udp4');
  await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', r));
  const session = await MediaSession.open({ clock, portPool: pool, localAddress: '127.0.0.1' });
  const ourKey = randomBytes(30);
  const latched: number[] = [];
  session.on('latched', (e) => latched.push(e.port));
  const frames: Int16Array[] = [];
  session.on('frame', (f) => frames.push(Int16Array.from(f)));
  try {
    session.update({ srtp: { suite: SUITE, localKey: ourKey, remoteKey: peer.key } });
    session.start({ address: '127.0.0.1', port: peer.port });
    const recording = join(dir, 'call.wav');
    await session.startRecording(recording);
    const rtp = () => session.stats.rtp;

    // A forgery from a stranger's address first: it must not latch the stream.
    const forged = peer.packet(1, FORGED);
    forged[20]! ^= 0x40;
    await peer.send(forged, session.localPort, stranger);
    await waitFor(() => rtp().srtpAuthFailures === 1, 2000, 'forgery counted');
    assert.deepEqual(latched, [], 'a forged packet does not latch');

    // Genuine audio, then: a tampered packet, a replay of a genuine one, and one under a wrong key.
    const genuine = [2, 3, 4, 5, 6].map((seq) => peer.packet(seq, GOOD));
    const replay = Buffer.from(genuine[1]!);
    for (const p of genuine) await peer.send(p, session.localPort);
    const tampered = peer.packet(7, FORGED);
    tampered[tampered.length - 1]! ^= 0x01;
    await peer.send(tampered, session.localPort);
    await peer.send(replay, session.localPort);
    const wrongKey = peer.packet(8, FORGED, new SrtpSender(SUITE, randomBytes(30)));
    await peer.send(wrongKey, session.localPort);
    await waitFor(
      () => rtp().srtpAuthFailures === 3 && rtp().srtpReplays === 1,
      2000,
      'tampered, replayed and wrong-key packets counted',
    );
    assert.equal(rtp().packetsReceived, 5, 'only the genuine packets were delivered');
    assert.deepEqual(latched, [peer.port], 'latched on the first authentic packet');

    time.advance(20 * 20);
    await waitFor(() => peer.received.length >= 15, 2000, 'our packets');
    await session.stopRecording();
    const heard = frames.flatMap((f) => Array.from(f));
    assert.ok(heard.includes(decodedGood), 'the genuine audio was heard, decrypted');
    assert.ok(
      heard.every((v) => v >= 0),
      'nothing of the forged (negative) level reached the frames',
    );
    // readWav mixes the two channels (remote left, our silence right) into one: half the level.
    const mixed = Array.from(readWav(await readFile(recording)).samples);
    assert.ok(
      mixed.some((v) => Math.abs(v - decodedGood / 2) <= 1),
      'the recording has the decrypted audio',
    );
    assert.ok(
      mixed.every((v) => v >= 0),
      'the recording has none of the forged audio',
    );

    // What we sent opens with our key (and is not plain silence on the wire).
    const receiver = new SrtpReceiver(SUITE, ourKey);
    const first = peer.received[0]!;
    assert.equal(first.length, 12 + 160 + 10);
    assert.ok(
      first.subarray(12, 172).some((b) => b !== 0xff),
      'the wire is not plain PCMU silence',
    );
    assert.equal(receiver.unprotect(first, first.length), 172);
    assert.ok(
      first.subarray(12, 172).every((b) => b === 0xff),
      'decrypted: PCMU silence',
    );
  } finally {
    await session.close();
    clock.stop();
    stranger.close();
    peer.socket.close();
  }
});

test('with SRTP required, plain RTP that arrives before the keys is dropped and latches nothing', async () => {
  const time = new ManualClock({ start: 0 });
  const clock = new MediaClock({ clock: time });
  clock.start();
  const peer = await new SrtpPeer().bind();
  const session = await MediaSession.open({
    clock,
    portPool: pool,
    localAddress: '127.0.0.1',
    srtpRequired: true,
  });
  const frames: Int16Array[] = [];
  session.on('frame', (f) => frames.push(Int16Array.from(f)));
  try {
    const plain = Buffer.alloc(172);
    writeRtpHeader(plain, 0, false, 1, 160, 0x1234);
    plain.fill(levelByte(FORGED), 12);
    await peer.send(plain, session.localPort);
    await waitFor(() => session.stats.rtp.srtpBeforeKeys === 1, 2000, 'plain packet counted');
    assert.equal(session.stats.rtp.packetsReceived, 0);
    assert.equal(session.stats.rtp.unknownSource, 0);
    time.advance(5 * 20);
    assert.ok(frames.every((f) => f.every((v) => v >= 0)));
    // Keys arrive (the answer): authentic packets now play.
    session.update({ srtp: { suite: SUITE, localKey: randomBytes(30), remoteKey: peer.key } });
    await peer.send(peer.packet(2, GOOD), session.localPort);
    await waitFor(() => session.stats.rtp.packetsReceived === 1, 2000, 'authentic packet');
  } finally {
    await session.close();
    clock.stop();
    peer.socket.close();
  }
});

test('a session playing audio sends it encrypted: the peer decrypts exactly what plays', async () => {
  const time = new ManualClock({ start: 0 });
  const clock = new MediaClock({ clock: time });
  clock.start();
  const peer = await new SrtpPeer().bind();
  const session = await MediaSession.open({ clock, portPool: pool, localAddress: '127.0.0.1' });
  const ourKey = randomBytes(30);
  try {
    session.update({ srtp: { suite: 'AES_CM_128_HMAC_SHA1_32', localKey: ourKey, remoteKey: peer.key } });
    session.start({ address: '127.0.0.1', port: peer.port });
    session.play(new PcmSource(new Int16Array(1600).fill(GOOD), 8000));
    time.advance(5 * 20);
    await waitFor(() => peer.received.length >= 5, 2000, 'packets');
    const receiver = new SrtpReceiver('AES_CM_128_HMAC_SHA1_32', ourKey);
    for (const p of peer.received.slice(0, 5)) {
      assert.equal(p.length, 12 + 160 + 4, '4-byte tag');
      assert.equal(receiver.unprotect(p, p.length), 172);
      assert.ok(p.subarray(12, 172).every((b) => b === levelByte(GOOD)));
    }
  } finally {
    await session.close();
    clock.stop();
    peer.socket.close();
  }
});

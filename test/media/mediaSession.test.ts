import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import { PCMA, PCMU } from '../../src/media/g711.js';
import { MediaClock } from '../../src/media/mediaClock.js';
import { type DtmfSentEvent, FrameKind, MediaSession } from '../../src/media/mediaSession.js';
import { PcmSource } from '../../src/media/pcmSource.js';
import type { PlayoutEnded } from '../../src/media/playout.js';
import { ToneSource } from '../../src/media/toneSource.js';
import type { DtmfDigitEvent } from '../../src/rtp/dtmfReceiver.js';
import { PortPool } from '../../src/rtp/portPool.js';
import { RtpPacket, rtpPacketSize, writeRtpPacket } from '../../src/rtp/rtpPacket.js';
import { waitFor } from '../rtp/waitFor.js';

/** A bare UDP peer that records every RTP packet and can send crafted ones. */
class Peer {
  readonly socket = dgram.createSocket('udp4');
  readonly packets: RtpPacket[] = [];
  port = 0;
  async bind(): Promise<this> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.port = this.socket.address().port;
    this.socket.on('message', (msg) => {
      const p = RtpPacket.parse(Uint8Array.from(msg));
      if (p) this.packets.push(p);
    });
    return this;
  }
  send(
    to: number,
    fields: { pt: number; seq: number; ts: number; marker?: boolean; ssrc?: number },
    payload: Uint8Array,
  ) {
    const f = {
      marker: fields.marker ?? false,
      payloadType: fields.pt,
      sequenceNumber: fields.seq,
      timestamp: fields.ts,
      ssrc: fields.ssrc ?? 0x5eed,
    };
    const bytes = new Uint8Array(rtpPacketSize(f, payload.length));
    writeRtpPacket(bytes, f, payload);
    return new Promise<void>((resolve) => this.socket.send(bytes, to, '127.0.0.1', () => resolve()));
  }
  close() {
    this.socket.close();
  }
}

const decode = (p: RtpPacket) => {
  const out = new Int16Array(p.payloadLength);
  (p.payloadType === 8 ? PCMA : PCMU).decode(p.bytes, p.payloadOffset, p.payloadLength, out, 0);
  return out;
};

describe('MediaSession', () => {
  const pool = new PortPool({ min: 24200, max: 24399 });
  let time: ManualClock;
  let clock: MediaClock;
  let peer: Peer;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartcall-media-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function open(extra: Partial<Parameters<typeof MediaSession.open>[0]> = {}) {
    time = new ManualClock({ start: 0 });
    clock = new MediaClock({ clock: time });
    clock.start();
    peer = await new Peer().bind();
    const session = await MediaSession.open({ clock, portPool: pool, localAddress: '127.0.0.1', ...extra });
    return session;
  }

  /** Runs `n` ticks and waits until the peer holds `expectPackets` packets. */
  async function ticks(n: number, expectPackets?: number) {
    time.advance(n * 20);
    if (expectPackets !== undefined)
      await waitFor(() => peer.packets.length >= expectPackets, 2000, `${expectPackets} packets`);
  }

  async function finish(session: MediaSession) {
    await session.close();
    clock.stop();
    peer.close();
  }

  test('sends nothing until started, then one PCMU packet per tick: marker first, +1 sequence, +160 timestamp', async () => {
    const session = await open();
    try {
      await ticks(3);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(peer.packets.length, 0);
      session.start({ address: '127.0.0.1', port: peer.port });
      await ticks(4, 4);
      const p = peer.packets;
      assert.deepEqual(
        p.map((x) => x.marker),
        [true, false, false, false],
      );
      assert.ok(p.every((x) => x.payloadType === 0 && x.payloadLength === 160 && x.ssrc === session.ssrc));
      for (let i = 1; i < 4; i++) {
        assert.equal((p[i]!.sequenceNumber - p[i - 1]!.sequenceNumber) & 0xffff, 1);
        assert.equal((p[i]!.timestamp - p[i - 1]!.timestamp) >>> 0, 160);
      }
      assert.ok(
        p.every((x) => x.payload.every((b) => b === 0xff)),
        'silence while nothing plays',
      );
    } finally {
      await finish(session);
    }
  });

  test('flush mid-prompt: the very next packet is silence (nothing was prepared ahead)', async () => {
    const session = await open();
    const ended: PlayoutEnded[] = [];
    session.on('playEnded', (e) => ended.push(e));
    try {
      session.start({ address: '127.0.0.1', port: peer.port });
      session.play(new ToneSource(1000, 2000, 0.5), { id: 'welcome' });
      await ticks(5, 5);
      assert.equal(session.playing?.id, 'welcome');
      assert.ok(
        decode(peer.packets[4]!).some((v) => Math.abs(v) > 10000),
        'tone on the wire',
      );
      session.flushPlayout();
      assert.equal(session.playing, undefined);
      await ticks(1, 6);
      assert.ok(
        peer.packets[5]!.payload.every((b) => b === 0xff),
        'first packet after flush is silence',
      );
      assert.deepEqual(
        ended.map((e) => [e.id, e.reason, e.playedMs]),
        [['welcome', 'flushed', 100]],
      );
    } finally {
      await finish(session);
    }
  });

  test('sends DTMF as RFC 4733 packets with the negotiated type, pausing audio, then resumes audio with a marker', async () => {
    const session = await open({ telephoneEventPayloadType: 96, dtmf: { durationMs: 60, gapMs: 0 } });
    const sent: DtmfSentEvent[] = [];
    session.on('dtmfSent', (e) => sent.push(e));
    try {
      session.start({ address: '127.0.0.1', port: peer.port });
      session.play(new ToneSource(440, 1000));
      await ticks(2, 2);
      session.sendDtmf('9');
      await ticks(7, 9);
      const kinds = peer.packets.map((p) =>
        p.payloadType === 96 ? `E${p.payload[0]}${p.payload[1]! & 0x80 ? 'end' : ''}` : 'A',
      );
      assert.deepEqual(kinds, ['A', 'A', 'E9', 'E9', 'E9end', 'E9end', 'E9end', 'A', 'A']);
      const events = peer.packets.slice(2, 7);
      assert.ok(
        events.every((p) => p.timestamp === events[0]!.timestamp),
        'one timestamp per event',
      );
      assert.deepEqual(
        events.map((p) => p.marker),
        [true, false, false, false, false],
      );
      assert.equal(peer.packets[7]!.marker, true, 'audio after the event starts a talkspurt');
      assert.deepEqual(
        sent.map((e) => [e.digit, e.durationMs]),
        [['9', 60]],
      );
      assert.throws(() => session.sendDtmf('x'), /not a DTMF digit/);
    } finally {
      await finish(session);
    }
  });

  test('refuses to send DTMF when no telephone-event type was negotiated', async () => {
    const session = await open({ telephoneEventPayloadType: null });
    try {
      assert.throws(() => session.sendDtmf('1'), /no telephone-event/);
    } finally {
      await finish(session);
    }
  });

  test('emits exactly one 160-sample frame per tick: silence first, then what the remote sent', async () => {
    const session = await open({ jitterBuffer: { targetDelayMs: 40 } });
    const frames: [number, FrameKind, number][] = [];
    session.on('frame', (pcm, t, kind) => frames.push([t, kind, pcm[0]!]));
    try {
      await ticks(1);
      const payload = new Uint8Array(160);
      PCMU.encode(new Int16Array(160).fill(5000), 0, 160, payload, 0);
      for (let i = 0; i < 3; i++) await peer.send(session.localPort, { pt: 0, seq: i, ts: i * 160 }, payload);
      await waitFor(() => session.stats.jitter.received === 3, 2000, 'packets received');
      await ticks(6);
      assert.equal(frames.length, 7);
      assert.deepEqual(
        frames.map(([t]) => t),
        [20, 40, 60, 80, 100, 120, 140],
      );
      const kinds = frames.map(([, k]) => k);
      assert.deepEqual(kinds, [
        FrameKind.Silence,
        FrameKind.Silence,
        FrameKind.Silence,
        FrameKind.Audio,
        FrameKind.Audio,
        FrameKind.Audio,
        FrameKind.Concealed,
      ]);
      assert.equal(frames[3]![2], PCMU.decodeSample(PCMU.encodeSample(5000)));
      assert.deepEqual(session.remote, { address: '127.0.0.1', port: peer.port }, 'latched before start');
    } finally {
      await finish(session);
    }
  });

  test("reports DTMF digits the remote sends, and counts payload types it doesn't know", async () => {
    const session = await open();
    const digits: DtmfDigitEvent[] = [];
    session.on('dtmf', (d) => digits.push(d));
    try {
      const ev = (e: number, end: boolean, d: number) =>
        Uint8Array.of(e, (end ? 0x80 : 0) | 10, d >> 8, d & 0xff);
      await peer.send(session.localPort, { pt: 101, seq: 1, ts: 320, marker: true }, ev(4, false, 0));
      await peer.send(session.localPort, { pt: 101, seq: 2, ts: 320 }, ev(4, false, 320));
      for (let i = 0; i < 3; i++)
        await peer.send(session.localPort, { pt: 101, seq: 3, ts: 320 }, ev(4, true, 640));
      await peer.send(session.localPort, { pt: 13, seq: 4, ts: 960 }, Uint8Array.of(40)); // comfort noise
      await waitFor(() => session.stats.rtp.packetsReceived === 6, 2000, 'packets');
      assert.deepEqual(
        digits.map((d) => [d.digit, d.durationMs]),
        [['4', 80]],
      );
      assert.equal(session.stats.unknownPayloadType, 1);
    } finally {
      await finish(session);
    }
  });

  test('a re-INVITE switches codec and moves the remote', async () => {
    const session = await open();
    const other = await new Peer().bind();
    try {
      session.start({ address: '127.0.0.1', port: peer.port });
      await ticks(1, 1);
      session.update({ remote: { address: '127.0.0.1', port: other.port }, codec: 'PCMA' });
      time.advance(20);
      await waitFor(() => other.packets.length === 1, 2000, 'packet at the new remote');
      assert.equal(other.packets[0]!.payloadType, 8);
      assert.ok(
        other.packets[0]!.payload.every((b) => b === 0xd5),
        'A-law silence',
      );
      assert.equal(session.codec, 'PCMA');
    } finally {
      other.close();
      await finish(session);
    }
  });

  test('records remote left and sent audio right, aligned tick by tick', async () => {
    const session = await open({ jitterBuffer: { targetDelayMs: 40 } });
    const path = join(dir, 'call.wav');
    try {
      session.start({ address: '127.0.0.1', port: peer.port });
      await session.startRecording(path);
      session.play(new PcmSource(new Int16Array(320).fill(-8000)));
      const payload = new Uint8Array(160);
      PCMU.encode(new Int16Array(160).fill(3000), 0, 160, payload, 0);
      await peer.send(session.localPort, { pt: 0, seq: 1, ts: 0 }, payload);
      await waitFor(() => session.stats.jitter.received === 1, 2000, 'packet');
      await ticks(5, 5);
      assert.equal(session.recordingStartedAt, 20);
      const info = await session.stopRecording();
      assert.equal(info?.durationMs, 100);
      const bytes = await readFile(path);
      const data = new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length));
      const frame = (f: number) => [data[f * 320]!, data[f * 320 + 1]!];
      const remote = PCMU.decodeSample(PCMU.encodeSample(3000));
      const local = -8000; // the right channel holds the linear audio we encoded
      // Two ticks of our prompt on the right; the remote's packet after the 40 ms jitter delay on the
      // left, then its concealment (6 dB quieter each frame).
      assert.deepEqual([0, 1, 2, 3, 4].map(frame), [
        [0, local],
        [0, local],
        [remote, 0],
        [Math.trunc(remote / 2), 0],
        [Math.trunc(remote / 4), 0],
      ]);
    } finally {
      await finish(session);
    }
  });

  test('accepts its own packets echoed back verbatim, own SSRC included (sipp -rtp_echo)', async () => {
    const session = await open();
    peer.socket.on('message', (msg, rinfo) => peer.socket.send(msg, rinfo.port, rinfo.address));
    const levels: number[] = [];
    session.on('frame', (pcm) => levels.push(Math.max(...pcm.map(Math.abs))));
    try {
      session.start({ address: '127.0.0.1', port: peer.port });
      session.play(new ToneSource(1000, 400, 0.5));
      for (let i = 0; i < 12; i++) {
        time.advance(20);
        await waitFor(() => session.stats.rtp.packetsReceived >= i + 1, 2000, 'echo');
      }
      assert.ok(
        levels.slice(-6).every((v) => v > 14000),
        `echoed tone heard: ${levels}`,
      );
      assert.equal(session.stats.jitter.lost, 0);
    } finally {
      await finish(session);
    }
  });

  test('survives a storm of random datagrams and keeps producing one frame per tick', async () => {
    const session = await open();
    let frames = 0;
    session.on('frame', () => frames++);
    session.on('dtmf', () => {
      throw new Error('a listener bug must not crash the socket handler');
    });
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    try {
      for (let i = 0; i < 400; i++) {
        const bytes = new Uint8Array(Math.floor(random() * 300));
        for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
        if (bytes.length >= 12 && random() < 0.7) {
          bytes[0] = 0x80 | (bytes[0]! & 0x3f); // mostly version 2, random flags
          bytes[1] = [0, 8, 101, 13, 200][Math.floor(random() * 5)]! | (bytes[1]! & 0x80);
        }
        await new Promise<void>((resolve) =>
          peer.socket.send(bytes, session.localPort, '127.0.0.1', () => resolve()),
        );
        if (i % 20 === 0) {
          time.advance(20);
          await new Promise((r) => setTimeout(r, 2)); // let the socket drain: the test is not a flood
        }
      }
      // A real digit: its (buggy) listener throws inside the socket handler.
      await peer.send(
        session.localPort,
        { pt: 101, seq: 9, ts: 9, marker: true },
        Uint8Array.of(5, 0x8a, 3, 0),
      );
      await new Promise((r) => setTimeout(r, 50));
      time.advance(200);
      assert.equal(frames, 30);
      const s = session.stats.rtp;
      assert.equal(s.packetsReceived + s.malformed + s.rtcp + s.oversized + s.unknownSource, 401);
      assert.equal(s.handlerErrors, 1);
    } finally {
      await finish(session);
    }
  });

  test('close releases the port, leaves the clock, flushes the queue and is idempotent', async () => {
    const session = await open();
    const ended: string[] = [];
    session.on('playEnded', (e) => ended.push(`${e.id}:${e.reason}`));
    let closed = 0;
    session.on('closed', () => closed++);
    const port = session.localPort;
    session.start({ address: '127.0.0.1', port: peer.port });
    session.play(new ToneSource(500, 1000), { id: 'x' });
    assert.equal(clock.subscriberCount, 1);
    assert.ok(pool.isAllocated(port));
    await Promise.all([session.close(), session.close()]);
    assert.equal(clock.subscriberCount, 0);
    assert.equal(pool.isAllocated(port), false);
    assert.deepEqual(ended, ['x:flushed']);
    assert.equal(closed, 1);
    assert.throws(() => session.play(new ToneSource(500, 10)), /closed/);
    clock.stop();
    peer.close();
  });
});

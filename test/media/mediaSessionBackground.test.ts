/**
 * The background bed on a real MediaSession, seen from a UDP peer on 127.0.0.1 (the callee's side):
 * it is on the wire under the prompt and in the silence around it, survives a barge-in flush, is in
 * the recording's platform channel, and stops with stopBackground() and close().
 */
import assert from 'node:assert/strict';
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
import { PortPool } from '../../src/rtp/portPool.js';
import { RtpPacket } from '../../src/rtp/rtpPacket.js';
import { waitFor } from '../rtp/waitFor.js';

const pool = new PortPool({ min: 24500, max: 24549 });
const BED = 1000;
const PROMPT = 8000;
/** What the callee decodes for a linear sample we sent (G.711 is lossy). */
const heard = (v: number) => PCMU.decodeSample(PCMU.encodeSample(v));

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartcall-bg-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function setUp() {
  const time = new ManualClock({ start: 0 });
  const clock = new MediaClock({ clock: time });
  clock.start();
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const received: Int16Array[] = [];
  socket.on('message', (msg) => {
    const p = RtpPacket.parse(Uint8Array.from(msg));
    if (p?.payloadType !== 0) return;
    const pcm = new Int16Array(p.payloadLength);
    PCMU.decode(p.bytes, p.payloadOffset, p.payloadLength, pcm, 0);
    received.push(pcm);
  });
  const session = await MediaSession.open({ clock, portPool: pool, localAddress: '127.0.0.1' });
  session.start({ address: '127.0.0.1', port: socket.address().port });
  return {
    session,
    received,
    /** Runs `n` ticks and waits for their packets. */
    async ticks(n: number) {
      const want = received.length + n;
      time.advance(n * 20);
      await waitFor(() => received.length >= want, 2000, `${want} packets`);
    },
    async close() {
      await session.close();
      clock.stop();
      socket.close();
    },
  };
}

/** Every sample of the frame equals `v`. */
const all = (frame: Int16Array | undefined, v: number) => frame?.every((s) => s === v) ?? false;

test('the callee hears the background in silence, under the prompt, and after a barge-in flush', async () => {
  const h = await setUp();
  try {
    h.session.playBackground(() => new PcmSource(new Int16Array(400).fill(BED)));
    await h.ticks(2);
    assert.ok(all(h.received[1], heard(BED)), 'background alone before any prompt');
    h.session.play(new PcmSource(new Int16Array(160 * 10).fill(PROMPT)), { id: 'welcome' });
    await h.ticks(3);
    assert.ok(all(h.received[3], heard(PROMPT + BED)), 'prompt and background added');
    let audible: boolean | undefined;
    h.session.flushPlayout();
    h.session.onNextSend((_at, a) => {
      audible = a;
    });
    await h.ticks(20); // 400 ms: the 50 ms bed has looped many times
    assert.equal(audible, false, 'the prompt stopped at once (the report is about the prompt)');
    assert.ok(all(h.received[5], heard(BED)), 'the background goes on after the flush');
    assert.ok(all(h.received.at(-1), heard(BED)), 'and keeps looping');
  } finally {
    await h.close();
  }
});

test('the recording’s platform channel contains the background', async () => {
  const h = await setUp();
  const path = join(dir, 'bg.wav');
  try {
    await h.session.startRecording(path);
    h.session.playBackground(() => new PcmSource(new Int16Array(160).fill(BED)), { gainDb: 0 });
    await h.ticks(3);
    await h.session.stopRecording();
    const bytes = await readFile(path);
    const data = new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length));
    assert.ok(data.length >= 6);
    for (let i = 0; i < data.length; i += 2) assert.equal(data[i + 1], BED, `right channel, sample ${i / 2}`);
  } finally {
    await h.close();
  }
});

test('stopBackground returns the wire to silence; a prompt then plays alone', async () => {
  const h = await setUp();
  try {
    h.session.playBackground(() => new PcmSource(new Int16Array(160).fill(BED)), { gainDb: 6 });
    await h.ticks(1);
    assert.ok(all(h.received[0], heard(Math.round(BED * 10 ** (6 / 20)))), 'at the bed’s gain');
    h.session.stopBackground();
    await h.ticks(1);
    assert.ok(all(h.received[1], heard(0)), 'silence');
    h.session.play(new PcmSource(new Int16Array(160).fill(PROMPT)));
    await h.ticks(1);
    assert.ok(all(h.received[2], heard(PROMPT)));
  } finally {
    await h.close();
  }
});

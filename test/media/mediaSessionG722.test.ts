/**
 * The media session running G.722 over 127.0.0.1: what one side plays arrives at the other as
 * `wideFrame` (16 kHz) and `frame` (8 kHz), in packets of payload type 9 whose timestamps count
 * 8000 a second (also in 30 ms packets), and a recording started on a G.722 call is 16 kHz.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MediaClock } from '../../src/media/mediaClock.js';
import { MediaSession } from '../../src/media/mediaSession.js';
import { PcmSource } from '../../src/media/pcmSource.js';
import { readWav } from '../../src/media/wavReader.js';
import { PortPool } from '../../src/rtp/portPool.js';

/** Share of the power at `hz` (Goertzel) in `x`. */
function toneShare(x: Int16Array, rate: number, hz: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  let total = 0;
  for (const v of x) {
    const s0 = v + k * s1 - s2;
    s2 = s1;
    s1 = s0;
    total += v * v;
  }
  return total === 0 ? 0 : (s1 * s1 + s2 * s2 - k * s1 * s2) / (x.length / 2) / total;
}

for (const packetMs of [20, 30] as const) {
  test(`G.722 in ${packetMs} ms packets: the tone played arrives at 16 kHz and 8 kHz, recorded at 16 kHz`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smartcall-g722-'));
    const pool = new PortPool({ min: 24500, max: 24599 });
    const clock = new MediaClock();
    const a = await MediaSession.open({ clock, portPool: pool, localAddress: '127.0.0.1', codec: 'G722' });
    const b = await MediaSession.open({ clock, portPool: pool, localAddress: '127.0.0.1', codec: 'G722' });
    try {
      a.update({ packetMs });
      const narrow: Int16Array[] = [];
      const wide: Int16Array[] = [];
      b.on('frame', (pcm) => narrow.push(pcm.slice()));
      b.on('wideFrame', (pcm) => wide.push(pcm.slice()));
      const recording = join(dir, 'b.wav');
      await b.startRecording(recording);
      const tone = new Int16Array(8000);
      for (let i = 0; i < tone.length; i++)
        tone[i] = Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
      a.start({ address: '127.0.0.1', port: b.localPort });
      b.start({ address: '127.0.0.1', port: a.localPort });
      a.play(new PcmSource(tone, 8000), { id: 'tone' });
      clock.start();
      await once(a, 'playEnded');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(b.wideband, true, 'b receives G.722');
      assert.equal(b.stats.unknownPayloadType, 0);
      assert.equal(b.stats.jitter.lost, 0, JSON.stringify(b.stats.jitter));
      assert.ok(wide.length > 40 && wide.every((f) => f.length === 320), 'one 320-sample wide frame a tick');
      assert.equal(wide.length, narrow.length);
      const loud = (frames: Int16Array[]) => frames.filter((f) => f.some((v) => Math.abs(v) > 6000));
      const wideLoud = loud(wide);
      const narrowLoud = loud(narrow);
      assert.ok(
        wideLoud.length >= 40 && narrowLoud.length >= 40,
        `${wideLoud.length} / ${narrowLoud.length} loud frames`,
      );
      const mid = Math.floor(wideLoud.length / 2);
      assert.ok(toneShare(wideLoud[mid]!, 16000, 1000) > 0.9, '1 kHz at 16 kHz');
      assert.ok(toneShare(narrowLoud[mid]!, 8000, 1000) > 0.9, '1 kHz at 8 kHz');
      const info = await b.stopRecording();
      assert.ok(info && info.durationMs > 900);
      const wav = readWav(await readFile(recording));
      assert.equal(wav.sampleRate, 16000);
      assert.equal(wav.channels, 2);
    } finally {
      await Promise.all([a.close(), b.close()]);
      clock.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MediaClock } from '../../src/media/mediaClock.js';
import { MediaSession } from '../../src/media/mediaSession.js';
import { resample } from '../../src/media/resampler.js';
import { loadWavFileSource } from '../../src/media/wavFileSource.js';
import { writeWavFile } from '../../src/media/wavWriter.js';
import type { DtmfDigitEvent } from '../../src/rtp/dtmfReceiver.js';
import { PortPool } from '../../src/rtp/portPool.js';

/** 0.3 s of 600 Hz, 0.2 s of silence, 0.3 s of 1200 Hz at half scale, made at 22.05 kHz like TTS. */
function prompt(rate: number): Int16Array {
  const out = new Int16Array(Math.round(rate * 0.8));
  for (let i = 0; i < out.length; i++) {
    const t = i / rate;
    const f = t < 0.3 ? 600 : t < 0.5 ? 0 : 1200;
    out[i] = f === 0 ? 0 : Math.round(16000 * Math.sin(2 * Math.PI * f * t));
  }
  return out;
}

/** Best normalised cross-correlation of `heard` against `sent`, over lags 0..maxLag samples. */
function bestCorrelation(sent: Int16Array, heard: Int16Array, maxLag: number): { lag: number; r: number } {
  let best = { lag: 0, r: -1 };
  for (let lag = 0; lag <= maxLag; lag++) {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i < sent.length && i + lag < heard.length; i++) {
      const x = sent[i]!;
      const y = heard[i + lag]!;
      xy += x * y;
      xx += x * x;
      yy += y * y;
    }
    const r = xy / Math.sqrt(xx * yy || 1);
    if (r > best.r) best = { lag, r };
  }
  return best;
}

const udpHandles = () =>
  process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap' || r === 'UDPWRAP').length;

test('two media sessions on 127.0.0.1 exchange a WAV prompt and DTMF digits for a second, then leave nothing open', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'smartcall-loopback-'));
  const baselineUdp = udpHandles();
  const pool = new PortPool({ min: 24400, max: 24499 });
  const clock = new MediaClock();
  const sendDeviation: number[] = [];
  const a = await MediaSession.open({ clock, portPool: pool, localAddress: '127.0.0.1' });
  const b = await MediaSession.open({
    clock,
    portPool: pool,
    localAddress: '127.0.0.1',
    onPacketSent: (ideal, sentAt) => sendDeviation.push(sentAt - ideal),
  });
  try {
    const wavPath = join(dir, 'prompt.wav');
    await writeWavFile(wavPath, [prompt(22050)], 22050);
    const heard: Int16Array[] = [];
    let heardStart = -1;
    let started = -1;
    b.on('frame', (pcm, time) => {
      if (started >= 0 && time > started) {
        if (heardStart < 0) heardStart = time;
        heard.push(pcm.slice());
      }
    });
    const digits: DtmfDigitEvent[] = [];
    a.on('dtmf', (d) => digits.push(d));
    const ended = new Promise<void>((resolve) => a.on('playEnded', () => resolve()));
    a.on('playStarted', (e) => {
      started = e.at;
    });

    a.start({ address: '127.0.0.1', port: b.localPort });
    b.start({ address: '127.0.0.1', port: a.localPort });
    a.play(await loadWavFileSource(wavPath), { id: 'prompt' });
    b.sendDtmf('12#9');
    clock.start();
    await ended;
    await new Promise((resolve) => setTimeout(resolve, 250));

    // What A played arrives at B: same waveform, shifted by the jitter delay.
    const sent = resample(prompt(22050), 22050, 8000);
    const got = new Int16Array(heard.length * 160);
    for (const [i, f] of heard.entries()) got.set(f, i * 160);
    const { lag, r } = bestCorrelation(sent, got, 1600);
    assert.ok(r > 0.9, `correlation ${r.toFixed(3)} at lag ${lag}`);
    assert.ok(lag <= 800, `lag ${lag} samples`);

    // Digits B sent arrive at A once each, in order.
    assert.deepEqual(
      digits.map((d) => d.digit),
      ['1', '2', '#', '9'],
    );
    assert.ok(digits.every((d) => d.durationMs === 100 && d.endedBy === 'end-bit'));
    assert.equal(a.stats.jitter.lost, 0);
    assert.equal(a.stats.rtp.unknownSource + b.stats.rtp.unknownSource, 0);
    assert.ok(b.stats.eventPacketsSent === 4 * 7);
    const sorted = sendDeviation.slice().sort((x, y) => x - y);
    assert.ok(sorted.length > 40);
    assert.ok(
      sorted[Math.floor(sorted.length * 0.5)]! < 5,
      `median send deviation ${sorted[Math.floor(sorted.length * 0.5)]}`,
    );
  } finally {
    await Promise.all([a.close(), b.close()]);
    clock.stop();
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(pool.inUse, 0);
  assert.equal(clock.subscriberCount, 0);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(udpHandles(), baselineUdp, 'no UDP socket left open');
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { G722Decoder, G722Encoder } from '../../src/media/g722.js';

const RATE = 16000;

/** A fixed mix that exercises both bands and the step adaptation: sweep, 6 kHz tone, noise, a loud burst. */
function referenceSignal(): Int16Array {
  const x = new Int16Array(RATE);
  let seed = 1;
  for (let i = 0; i < x.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    const t = i / RATE;
    const v =
      6000 * Math.sin(2 * Math.PI * (200 + 900 * t) * t) +
      3000 * Math.sin(2 * Math.PI * 6000 * t) +
      2000 * (seed / 0x7fffffff - 0.5) +
      (i >= 8000 ? 20000 * Math.sin(2 * Math.PI * 440 * t) : 0);
    x[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  return x;
}

function tone(hz: number, amplitude: number, samples = RATE): Int16Array {
  const x = new Int16Array(samples);
  for (let i = 0; i < x.length; i++) x[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / RATE));
  return x;
}

/** A speech-like signal: a 120 Hz glottal pulse train through two formant resonators, syllable envelope. */
function speechLike(): Int16Array {
  const x = new Int16Array(RATE * 2);
  const formants = [
    { f: 700, bw: 130 },
    { f: 2400, bw: 250 },
  ].map(({ f, bw }) => {
    const r = Math.exp((-Math.PI * bw) / RATE);
    return { a1: 2 * r * Math.cos((2 * Math.PI * f) / RATE), a2: -r * r, y1: 0, y2: 0 };
  });
  for (let i = 0; i < x.length; i++) {
    let v = i % Math.round(RATE / 120) === 0 ? 3000 : 0;
    for (const res of formants) {
      const y = v + res.a1 * res.y1 + res.a2 * res.y2;
      res.y2 = res.y1;
      res.y1 = y;
      v = y;
    }
    const envelope = 0.5 - 0.5 * Math.cos((2 * Math.PI * 3 * i) / RATE); // three syllables a second
    x[i] = Math.max(-32768, Math.min(32767, Math.round(v * envelope * 0.05)));
  }
  return x;
}

/** Encodes and decodes in 20 ms frames (320 samples, 160 octets), with fresh states. */
function roundTrip(x: Int16Array): { codes: Uint8Array; y: Int16Array } {
  const enc = new G722Encoder();
  const dec = new G722Decoder();
  const codes = new Uint8Array(x.length / 2);
  const y = new Int16Array(x.length);
  for (let o = 0; o < x.length; o += 320) {
    enc.encode(x, o, 320, codes, o / 2);
    dec.decode(codes, o / 2, 160, y, o);
  }
  return { codes, y };
}

/** The codec's QMF pair delays the signal by 22 samples (23 taps of history, minus one). */
const DELAY = 22;

function snrDb(x: Int16Array, y: Int16Array, from = 1600): number {
  let signal = 0;
  let noise = 0;
  for (let i = from; i < x.length - DELAY; i++) {
    signal += x[i]! * x[i]!;
    const d = y[i + DELAY]! - x[i]!;
    noise += d * d;
  }
  return 10 * Math.log10(signal / noise);
}

function rms(x: Int16Array, from = 0): number {
  let s = 0;
  for (let i = from; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (x.length - from));
}

const sha256 = (bytes: Uint8Array | Int16Array) =>
  createHash('sha256')
    .update(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    .digest('hex');

describe('G.722 (64 kbit/s SB-ADPCM)', () => {
  test('is bit-exact with spandsp, the G.722 baresip and Asterisk use, both ways', () => {
    // The ITU test sequences are not public; libspandsp (g722_encode/g722_decode at 64000, options
    // 0) was run on this very signal and its outputs hashed. Fixed-point G.722 leaves no room for
    // "close enough": one wrong table entry or rounding changes the octets.
    const x = referenceSignal();
    const { codes, y } = roundTrip(x);
    assert.deepEqual([...codes.subarray(0, 8)], [250, 55, 138, 32, 134, 34, 181, 160]);
    assert.equal(sha256(codes), SPANDSP_CODES_SHA256, 'encoder output');
    assert.equal(sha256(y), SPANDSP_DECODED_SHA256, 'decoder output');
  });

  for (const hz of [300, 1000, 3000]) {
    test(`a ${hz} Hz tone (lower band) comes back with its shape (SNR > 35 dB)`, () => {
      const x = tone(hz, 8000);
      const snr = snrDb(x, roundTrip(x).y);
      assert.ok(snr > 35, `SNR ${snr.toFixed(1)} dB`);
    });
  }

  test('a 6 kHz tone (higher band, what G.711 cannot carry) comes back (SNR > 18 dB)', () => {
    const x = tone(6000, 8000);
    const { y } = roundTrip(x);
    const snr = snrDb(x, y);
    assert.ok(snr > 18, `SNR ${snr.toFixed(1)} dB`);
    assert.ok(Math.abs(rms(y, 1600) / rms(x, 1600) - 1) < 0.1, 'level kept');
  });

  test('a speech-like signal keeps its shape (SNR > 20 dB)', () => {
    const x = speechLike();
    const snr = snrDb(x, roundTrip(x).y);
    assert.ok(snr > 20, `SNR ${snr.toFixed(1)} dB`);
  });

  test('silence stays quiet', () => {
    const { codes, y } = roundTrip(new Int16Array(RATE));
    assert.ok(rms(y) < 2, `rms ${rms(y)}`);
    assert.ok(Math.max(...y.map(Math.abs)) <= 8, 'no clicks');
    assert.ok(codes.length === RATE / 2);
  });

  test('state runs across frames: any framing gives the same octets, a fresh decoder per frame does not', () => {
    const x = speechLike();
    const whole = new Uint8Array(x.length / 2);
    new G722Encoder().encode(x, 0, x.length, whole, 0);
    const { codes, y } = roundTrip(x);
    assert.deepEqual(codes, whole, '20 ms frames = one call');
    const odd = new Uint8Array(x.length / 2);
    const enc = new G722Encoder();
    for (let o = 0; o < x.length; o += 480) enc.encode(x, o, Math.min(480, x.length - o), odd, o / 2);
    assert.deepEqual(odd, whole, '30 ms frames = one call');
    // Resetting the decoder every packet (forgetting its state) ruins the audio.
    const broken = new Int16Array(x.length);
    for (let o = 0; o < codes.length; o += 160) new G722Decoder().decode(codes, o, 160, broken, o * 2);
    assert.ok(snrDb(x, broken) < snrDb(x, y) - 10, 'state matters');
  });
});

const SPANDSP_CODES_SHA256 = '5441e8358994f0da7c35066e8ffe0f2fabc7aa9cf70c9269abd26e5521c8ddd6';
const SPANDSP_DECODED_SHA256 = '6abba022a70e02fcbd175c5b4745c86dc8dbedfd78aadbf40b328412aadc0980';

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Resampler, resample } from '../../src/media/resampler.js';

function tone(freq: number, rate: number, seconds: number, amplitude = 10000): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
  return out;
}

/** Amplitude of the `freq` component (single-bin DFT over the middle 80%, away from the edges). */
function amplitudeAt(x: Int16Array, freq: number, rate: number): number {
  const start = Math.floor(x.length * 0.1);
  const end = Math.floor(x.length * 0.9);
  let re = 0;
  let im = 0;
  for (let i = start; i < end; i++) {
    re += x[i]! * Math.cos((2 * Math.PI * freq * i) / rate);
    im += x[i]! * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / (end - start);
}

function rms(x: Int16Array): number {
  let sum = 0;
  const start = Math.floor(x.length * 0.1);
  const end = Math.floor(x.length * 0.9);
  for (let i = start; i < end; i++) sum += x[i]! ** 2;
  return Math.sqrt(sum / (end - start));
}

/** Dominant frequency by counting upward zero crossings. */
function zeroCrossingFrequency(x: Int16Array, rate: number): number {
  let crossings = 0;
  for (let i = 1; i < x.length; i++) if (x[i - 1]! < 0 && x[i]! >= 0) crossings++;
  return (crossings * rate) / x.length;
}

const db = (ratio: number) => 20 * Math.log10(ratio);

describe('Resampler', () => {
  for (const [from, to] of [
    [22050, 8000],
    [16000, 8000],
    [8000, 16000],
    [44100, 8000],
    [48000, 8000],
    [11025, 8000],
    [22051, 8000],
  ] as const) {
    test(`${from} Hz → ${to} Hz keeps a 1 kHz sine's frequency and amplitude, with nothing else in it`, () => {
      const out = resample(tone(1000, from, 1), from, to);
      assert.equal(out.length, to);
      assert.ok(Math.abs(zeroCrossingFrequency(out, to) - 1000) <= 2);
      const amp = amplitudeAt(out, 1000, to);
      assert.ok(Math.abs(db(amp / 10000)) < 0.1, `amplitude ${amp}`);
      // Residual after removing the 1 kHz component: THD+N well below -50 dB.
      const clean = tone(1000, to, 1, amp);
      const residual = out.map((v, i) => v - clean[i]!);
      assert.ok(db(rms(residual) / rms(out)) < -50, `residual ${db(rms(residual) / rms(out)).toFixed(1)} dB`);
    });
  }

  test('22050 → 8000 suppresses a 5 kHz tone that would alias to 3 kHz by more than 60 dB', () => {
    const out = resample(tone(5000, 22050, 1), 22050, 8000);
    assert.ok(db(amplitudeAt(out, 3000, 8000) / 10000) < -60);
    assert.ok(db(rms(out) / 7071) < -60);
  });

  test('16000 → 8000 keeps a 3.3 kHz tone (telephone band) within 1 dB', () => {
    const out = resample(tone(3300, 16000, 1), 16000, 8000);
    assert.ok(Math.abs(db(amplitudeAt(out, 3300, 8000) / 10000)) < 1);
  });

  test('streaming in uneven chunks gives exactly the one-shot result', () => {
    const input = tone(440, 22050, 0.5);
    const expected = resample(input, 22050, 8000);
    const r = new Resampler(22050, 8000);
    const parts: Int16Array[] = [];
    let at = 0;
    const sizes = [1, 7, 100, 441, 2205, 13];
    for (let i = 0; at < input.length; i++) {
      const n = sizes[i % sizes.length]!;
      parts.push(r.process(input.subarray(at, at + n)));
      at += n;
    }
    parts.push(r.flush());
    const joined = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      joined.set(p, o);
      o += p.length;
    }
    assert.deepEqual(joined, expected);
  });

  test('output is aligned with the input: an impulse stays where it was', () => {
    const input = new Int16Array(16000);
    input[8000] = 20000;
    const out = resample(input, 16000, 8000);
    let peak = 0;
    for (let i = 1; i < out.length; i++) if (Math.abs(out[i]!) > Math.abs(out[peak]!)) peak = i;
    assert.equal(peak, 4000);
  });

  test('rejects non-integer or non-positive rates', () => {
    assert.throws(() => new Resampler(0, 8000), RangeError);
    assert.throws(() => new Resampler(22050.5, 8000), RangeError);
  });
});

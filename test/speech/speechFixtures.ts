/** Audio the speech tests build for themselves: TTS speech, a telephone channel, seeded noise. */
import alawmulaw from 'alawmulaw';
import type { Tts } from '../../src/speech/tts.js';

export async function speak(tts: Tts, text: string, voice?: string): Promise<Int16Array> {
  const parts: Int16Array[] = [];
  for await (const chunk of tts.synthesize({ text, voice })) parts.push(chunk);
  return concat(parts);
}

export function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** G.711 µ-law encode and decode, as a phone call would. */
export function telephone(pcm: Int16Array): Int16Array {
  return alawmulaw.mulaw.decode(alawmulaw.mulaw.encode(pcm));
}

/** Deterministic pink noise (Paul Kellet's economy filter over a seeded LCG). */
export function pinkNoise(length: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(length);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const white = s / 2147483648 - 1;
    b0 = 0.99765 * b0 + white * 0.099046;
    b1 = 0.963 * b1 + white * 0.2965164;
    b2 = 0.57 * b2 + white * 1.0526913;
    out[i] = b0 + b1 + b2 + white * 0.1848;
  }
  return out;
}

/** Adds noise so that speech power (over `speechMask` samples) over noise power is `snrDb`. */
export function mixAtSnr(
  clean: Int16Array,
  noise: Float64Array,
  snrDb: number,
  speechMask: Uint8Array,
): Int16Array {
  let ps = 0;
  let ns = 0;
  let n = 0;
  for (let i = 0; i < clean.length; i++) {
    if (speechMask[i]) {
      ps += clean[i]! * clean[i]!;
      n++;
    }
  }
  for (let i = 0; i < clean.length; i++) ns += noise[i]! * noise[i]!;
  const gain = Math.sqrt(ps / Math.max(1, n) / 10 ** (snrDb / 10) / (ns / clean.length));
  const out = new Int16Array(clean.length);
  for (let i = 0; i < clean.length; i++) {
    const v = Math.round(clean[i]! + gain * noise[i]!);
    out[i] = Math.min(32767, Math.max(v, -32768));
  }
  return out;
}

/** [first, last] sample of the part of `pcm` within `dropDb` of its loudest 10 ms. */
export function energySpan(pcm: Int16Array, dropDb = 35): [number, number] {
  const w = 80;
  const levels: number[] = [];
  for (let i = 0; i + w <= pcm.length; i += w) {
    let e = 0;
    for (let j = i; j < i + w; j++) e += pcm[j]! * pcm[j]!;
    levels.push(10 * Math.log10(e / w + 1));
  }
  const peak = Math.max(...levels);
  const first = levels.findIndex((l) => l > peak - dropDb);
  let last = levels.length - 1;
  while (last > first && levels[last]! <= peak - dropDb) last--;
  return [first * w, (last + 1) * w];
}

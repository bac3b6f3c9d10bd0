/**
 * Test audio with structure (so a match means the right audio, not just "a tone"), and the
 * comparison that tells whether it arrived: normalized cross-correlation, searched first on 10 ms
 * envelopes (cheap, robust to small timing shifts) and then refined on the waveform.
 */
import { PCMA, PCMU } from '../../src/media/g711.js';
import { encodeWav } from '../../src/media/wavWriter.js';

/** A chirp from f0 to f1 Hz with a slow amplitude modulation; 8 kHz, peak ≈ 0.4 full scale. */
export function chirp(seconds: number, f0: number, f1: number, amHz: number): Int16Array {
  const n = Math.round(seconds * 8000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / 8000;
    const phase = 2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * seconds));
    const am = 0.55 + 0.45 * Math.sin(2 * Math.PI * amHz * t);
    out[i] = Math.round(13_000 * am * Math.sin(phase));
  }
  return out;
}

export function pcmWav(samples: Int16Array): Buffer {
  return encodeWav([samples], 8000);
}

/** A µ-law WAV (format 7), as sipp's rtp_stream sends its bytes as they are. */
export function ulawWav(samples: Int16Array, codec: 'PCMU' | 'PCMA' = 'PCMU'): Buffer {
  const g711 = codec === 'PCMU' ? PCMU : PCMA;
  const data = Buffer.alloc(samples.length);
  for (let i = 0; i < samples.length; i++) data[i] = g711.encodeSample(samples[i]!);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(codec === 'PCMU' ? 7 : 6, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Collects frames (copies: MediaSession reuses its buffer). */
export class FrameCollector {
  readonly #chunks: Int16Array[] = [];
  add = (pcm: Int16Array): void => {
    this.#chunks.push(pcm.slice());
  };
  samples(): Int16Array {
    const out = new Int16Array(this.#chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of this.#chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function envelope(x: Int16Array, win: number): Float64Array {
  const out = new Float64Array(Math.floor(x.length / win));
  for (let w = 0; w < out.length; w++) {
    let s = 0;
    for (let i = w * win; i < (w + 1) * win; i++) s += x[i]! * x[i]!;
    out[w] = Math.sqrt(s / win);
  }
  return out;
}

function ncc(a: ArrayLike<number>, b: ArrayLike<number>, lag: number, len: number): number {
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < len; i++) {
    ma += a[i]!;
    mb += b[i + lag]!;
  }
  ma /= len;
  mb /= len;
  for (let i = 0; i < len; i++) {
    const x = a[i]! - ma;
    const y = b[i + lag]! - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

export interface Match {
  /** Correlation of the 10 ms envelopes at the best lag (1 = same shape). */
  envelope: number;
  /** Waveform correlation around that lag (1 = the same samples, G.711 aside). */
  waveform: number;
  /** Where the reference starts inside the recording, ms. */
  offsetMs: number;
}

/** Where `reference` occurs in `recording` and how well it matches (the first `compareMs` of it). */
export function findInRecording(reference: Int16Array, recording: Int16Array, compareMs = 2000): Match {
  const win = 80;
  const ref = envelope(reference, win);
  const rec = envelope(recording, win);
  const len = Math.min(ref.length, Math.floor(compareMs / 10));
  let best = { lag: 0, c: -1 };
  for (let lag = 0; lag + len <= rec.length; lag++) {
    const c = ncc(ref, rec, lag, len);
    if (c > best.c) best = { lag, c };
  }
  const coarse = best.lag * win;
  const n = Math.min(reference.length, compareMs * 8);
  let wave = -1;
  let at = coarse;
  for (
    let lag = Math.max(0, coarse - 2 * win);
    lag <= coarse + 2 * win && lag + n <= recording.length;
    lag++
  ) {
    const c = ncc(reference, recording, lag, n);
    if (c > wave) {
      wave = c;
      at = lag;
    }
  }
  return { envelope: best.c, waveform: wave, offsetMs: at / 8 };
}

/**
 * 2:1 rate conversion between the 8 kHz frame path and 16 kHz (G.722) frames, one frame at a time
 * into caller-owned buffers: exactly twice (or half) the samples out per call and nothing allocated
 * per frame, unlike the general {@link Resampler} (whose output count varies while its filter fills).
 *
 * One 48-tap low-pass (Kaiser-windowed sinc, β = 7, cut-off 3.7 kHz at 16 kHz) serves both ways:
 * downsampling filters then keeps every other sample (aliases above 4 kHz are stopped, ~70 dB);
 * upsampling is its polyphase form (zeros inserted, filtered, gain 2). Each direction delays the
 * audio by 23.5 samples at 16 kHz (1.5 ms).
 */

const TAPS = 48;
const CUTOFF = 3700 / 16000; // cycles per 16 kHz sample

const H: Float64Array = (() => {
  const h = new Float64Array(TAPS);
  const centre = (TAPS - 1) / 2;
  const i0 = (x: number) => {
    let sum = 1;
    let term = 1;
    for (let k = 1; k < 40; k++) {
      term *= (x * x) / 4 / (k * k);
      sum += term;
    }
    return sum;
  };
  let total = 0;
  for (let n = 0; n < TAPS; n++) {
    const t = n - centre;
    const sinc = t === 0 ? 1 : Math.sin(2 * Math.PI * CUTOFF * t) / (2 * Math.PI * CUTOFF * t);
    const r = t / (centre + 0.5);
    h[n] = 2 * CUTOFF * sinc * (i0(7 * Math.sqrt(Math.max(0, 1 - r * r))) / i0(7));
    total += h[n]!;
  }
  for (let n = 0; n < TAPS; n++) h[n]! /= total; // unity gain at DC
  return h;
})();

function toInt16(v: number): number {
  return Math.min(32767, Math.max(-32768, Math.round(v)));
}

/** 16 kHz → 8 kHz for a stream of frames; keeps the filter's history between calls. */
export class Downsampler2x {
  readonly #buf: Float64Array;

  /** `maxInput`: the longest frame (16 kHz samples) ever passed. */
  constructor(maxInput = 320) {
    this.#buf = new Float64Array(TAPS - 1 + maxInput);
  }

  /** Converts `input` (even length) into `out[0 .. input.length / 2)`. */
  process(input: Int16Array, out: Int16Array): void {
    const buf = this.#buf;
    const hist = TAPS - 1;
    const n = input.length;
    for (let i = 0; i < n; i++) buf[hist + i] = input[i]!;
    for (let k = 0; k < n / 2; k++) {
      // Output k is centred on input 2k + 1 - delay; taps run over buf[2k + 1 .. 2k + TAPS].
      const base = 2 * k + 1;
      let acc = 0;
      for (let t = 0; t < TAPS; t++) acc += buf[base + t]! * H[TAPS - 1 - t]!;
      out[k] = toInt16(acc);
    }
    buf.copyWithin(0, n, n + hist);
  }
}

/** 8 kHz → 16 kHz for a stream of frames; keeps the filter's history between calls. */
export class Upsampler2x {
  readonly #buf: Float64Array;

  /** `maxInput`: the longest frame (8 kHz samples) ever passed. */
  constructor(maxInput = 160) {
    this.#buf = new Float64Array(TAPS / 2 - 1 + maxInput);
  }

  /** Converts `input` into `out[0 .. 2 * input.length)`. */
  process(input: Int16Array, out: Int16Array): void {
    const buf = this.#buf;
    const hist = TAPS / 2 - 1;
    const half = TAPS / 2;
    const n = input.length;
    for (let i = 0; i < n; i++) buf[hist + i] = input[i]!;
    for (let k = 0; k < n; k++) {
      // y[2k + p] = 2 Σ_j h[2j + p] x[k - j]; x[k - j] sits at buf[hist + k - j].
      let even = 0;
      let odd = 0;
      for (let j = 0; j < half; j++) {
        const x = buf[hist + k - j]!;
        even += H[2 * j]! * x;
        odd += H[2 * j + 1]! * x;
      }
      out[2 * k] = toInt16(2 * even);
      out[2 * k + 1] = toInt16(2 * odd);
    }
    buf.copyWithin(0, n, n + hist);
  }
}

/**
 * ITU-T G.722 (09/2012) at 64 kbit/s: sub-band ADPCM of 16 kHz audio (RTP payload type 9; RFC 3551
 * §4.5.2: the RTP clock says 8000 although the audio is 16 kHz, so a 20 ms packet is 160 bytes and
 * 160 timestamp units).
 *
 * Each pair of input samples goes through the 24-tap transmit QMF (§3.2), which splits it into one
 * lower-band (0–4 kHz) and one higher-band (4–8 kHz) sample at 8 kHz. The lower band is coded with
 * 6-bit ADPCM (§3.3, 60 decision levels), the higher band with 2-bit ADPCM (§3.4); the octet carries
 * the higher band's 2 bits on top of the lower band's 6. Both bands use the same adaptive predictor
 * (§3.6, two poles and six zeros, sign-sign updates) and a log-domain step size (§3.5). The decoder
 * (§4) runs the same predictors on the 4-bit truncated lower-band code (what the embedded 56/48
 * kbit/s modes also have), reconstructs with all 6 bits, and recombines the bands with the receive
 * QMF.
 *
 * Everything is the recommendation's 16-bit fixed-point arithmetic, so an encoder here and a decoder
 * elsewhere (or the reverse) track each other exactly. Input is 16-bit PCM (the recommendation
 * takes 14 bits; the QMF's shift absorbs the difference, as usual in software codecs).
 *
 * State: one {@link G722Encoder} per sending direction and one {@link G722Decoder} per received
 * stream; they must see every octet in order (ADPCM state runs across packets).
 */

/** Static RTP payload type (RFC 3551 table 4). */
export const G722_PAYLOAD_TYPE = 9;

// Transmit/receive QMF coefficients h0, h2, ..., h22 (§3.2, table 4); the odd ones are these reversed.
const QMF = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];
// Lower band: decision levels of the 6-bit quantizer, scaled by 2^-12 step units (§3.3, table 6).
const Q6 = [
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219,
  1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
];
// Codes for the interval found (§3.3, table 7): negative and positive differences.
const ILN = [
  0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7,
  6, 5, 4,
];
const ILP = [
  0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36,
  35, 34, 33, 32,
];
// Inverse quantizer outputs, 6-bit (reconstruction) and 4-bit (predictor input) (§3.3, tables 5/6).
const QM6 = [
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360,
  -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688,
  -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192,
  6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432,
  -136,
];
const QM4 = [
  0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
];
// 4-bit code → magnitude index for the log step update, and its multipliers (§3.5, table 8).
const RL42 = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const WL = [-60, -30, 58, 172, 334, 538, 1198, 3042];
// Higher band: 2-bit codes, inverse quantizer, step multipliers (§3.4, tables 9/10).
const IHN = [0, 1, 0];
const IHP = [0, 3, 2];
const QM2 = [-7408, -1616, 7408, 1616];
const RH2 = [2, 1, 2, 1];
const WH = [0, -214, 798];
// 2^(i/32) in Q11: the log-to-linear table of the step size (§3.5, table 11).
const ILB = [
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960,
  3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function sat(x: number): number {
  return clamp(x, -32768, 32767);
}

/** Log step (nb) → linear step (det), block SCALEL/SCALEH; `shift` is 8 (lower) or 10 (higher band). */
function scale(nb: number, shift: number): number {
  const wd1 = (nb >> 6) & 31;
  const wd2 = shift - (nb >> 11);
  const wd3 = wd2 < 0 ? ILB[wd1]! << -wd2 : ILB[wd1]! >> wd2;
  return wd3 << 2;
}

/** One sub-band's ADPCM state: adaptive predictor (2 poles, 6 zeros) and step size. */
class Band {
  /** Predicted signal (s), its pole (sp) and zero (sz) parts. */
  s = 0;
  sp = 0;
  sz = 0;
  /** Log step (nb) and linear step (det). */
  nb = 0;
  det: number;
  readonly r = new Int32Array(3); // reconstructed signal, delayed
  readonly p = new Int32Array(3); // partial reconstruction (sz + d), delayed
  readonly a = new Int32Array(3); // pole coefficients a1, a2
  readonly ap = new Int32Array(3);
  readonly d = new Int32Array(7); // quantized differences, delayed
  readonly b = new Int32Array(7); // zero coefficients b1..b6
  readonly bp = new Int32Array(7);

  constructor(det: number) {
    this.det = det;
  }

  /** Block 4 (§3.6): updates the predictor with the quantized difference `dx`, computes the next s. */
  update(dx: number): void {
    const { r, p, a, ap, d, b, bp } = this;
    r[0] = sat(this.s + dx); // RECONS
    p[0] = sat(this.sz + dx); // PARREC
    // UPPOL2: second pole coefficient.
    const sg0 = p[0]! >> 15;
    const sg1 = p[1]! >> 15;
    const sg2 = p[2]! >> 15;
    const wd1 = sat(a[1]! << 2);
    const wd2 = Math.min(32767, sg0 === sg1 ? -wd1 : wd1);
    const wd3 = clamp((sg0 === sg2 ? 128 : -128) + (wd2 >> 7) + ((a[2]! * 32512) >> 15), -12288, 12288);
    ap[2] = wd3;
    // UPPOL1: first pole coefficient, kept inside the stability triangle.
    const limit = sat(15360 - wd3);
    ap[1] = clamp(sat((sg0 === sg1 ? 192 : -192) + ((a[1]! * 32640) >> 15)), -limit, limit);
    // UPZERO: sign-sign update of the six zero coefficients.
    const step = dx === 0 ? 0 : 128;
    const sgd = dx >> 15;
    for (let i = 1; i < 7; i++) {
      const w = d[i]! >> 15 === sgd ? step : -step;
      bp[i] = sat(w + ((b[i]! * 32640) >> 15));
    }
    // DELAYA
    for (let i = 6; i > 0; i--) {
      d[i] = i === 1 ? dx : d[i - 1]!;
      b[i] = bp[i]!;
    }
    r[2] = r[1]!;
    r[1] = r[0]!;
    p[2] = p[1]!;
    p[1] = p[0]!;
    a[2] = ap[2]!;
    a[1] = ap[1]!;
    // FILTEP, FILTEZ, PREDIC
    const sp = sat(((a[1]! * sat(r[1]! + r[1]!)) >> 15) + ((a[2]! * sat(r[2]! + r[2]!)) >> 15));
    let sz = 0;
    for (let i = 6; i > 0; i--) sz += (b[i]! * sat(d[i]! + d[i]!)) >> 15;
    this.sp = sp;
    this.sz = sat(sz);
    this.s = sat(sp + this.sz);
  }

  /** LOGSCL + SCALEL for the lower band from its 4-bit code. */
  adaptLow(code4: number): void {
    this.nb = clamp(((this.nb * 127) >> 7) + WL[RL42[code4]!]!, 0, 18432);
    this.det = scale(this.nb, 8);
  }

  /** LOGSCH + SCALEH for the higher band from its 2-bit code. */
  adaptHigh(code2: number): void {
    this.nb = clamp(((this.nb * 127) >> 7) + WH[RH2[code2]!]!, 0, 22528);
    this.det = scale(this.nb, 10);
  }
}

/** Encoder state for one direction: 16 kHz PCM in, one octet per two samples out. */
export class G722Encoder {
  readonly #low = new Band(32);
  readonly #high = new Band(8);
  readonly #x = new Int32Array(24); // QMF input history, newest last

  /**
   * Encodes `count` samples (even) of 16 kHz PCM from `src[srcOffset]` into `count / 2` octets at
   * `dst[dstOffset]`.
   */
  encode(src: Int16Array, srcOffset: number, count: number, dst: Uint8Array, dstOffset: number): void {
    const x = this.#x;
    const low = this.#low;
    const high = this.#high;
    for (let j = 0; j < count; j += 2) {
      x.copyWithin(0, 2);
      x[22] = src[srcOffset + j]!;
      x[23] = src[srcOffset + j + 1]!;
      // Transmit QMF (§3.2): xA over even taps, xB over odd taps; low = A + B, high = A - B.
      let xa = 0;
      let xb = 0;
      for (let i = 0; i < 12; i++) {
        xb += x[2 * i]! * QMF[i]!;
        xa += x[2 * i + 1]! * QMF[11 - i]!;
      }
      const xlow = (xa + xb) >> 14;
      const xhigh = (xa - xb) >> 14;

      // Lower band (§3.3): find the interval of the difference, scaled by the step.
      const el = sat(xlow - low.s);
      const mag = el >= 0 ? el : -(el + 1);
      let i = 1;
      for (; i < 30; i++) if (mag < (Q6[i]! * low.det) >> 12) break;
      const ilow = el < 0 ? ILN[i]! : ILP[i]!;
      const code4 = ilow >> 2;
      const dlow = (low.det * QM4[code4]!) >> 15;
      low.adaptLow(code4);
      low.update(dlow);

      // Higher band (§3.4): one decision level.
      const eh = sat(xhigh - high.s);
      const magh = eh >= 0 ? eh : -(eh + 1);
      const mih = magh >= (564 * high.det) >> 12 ? 2 : 1;
      const ihigh = eh < 0 ? IHN[mih]! : IHP[mih]!;
      const dhigh = (high.det * QM2[ihigh]!) >> 15;
      high.adaptHigh(ihigh);
      high.update(dhigh);

      dst[dstOffset + (j >> 1)] = (ihigh << 6) | ilow;
    }
  }
}

/** Decoder state for one received stream: one octet in, two 16 kHz samples out. */
export class G722Decoder {
  readonly #low = new Band(32);
  readonly #high = new Band(8);
  readonly #x = new Int32Array(24); // receive QMF history, newest last

  /**
   * Decodes `count` octets from `src[srcOffset]` into `2 * count` samples at `dst[dstOffset]` (fits
   * the JitterBuffer's PayloadDecoder at two samples per timestamp unit).
   */
  decode(src: Uint8Array, srcOffset: number, count: number, dst: Int16Array, dstOffset: number): void {
    const x = this.#x;
    const low = this.#low;
    const high = this.#high;
    let out = dstOffset;
    for (let j = 0; j < count; j++) {
      const code = src[srcOffset + j]!;
      const ilow = code & 0x3f;
      const ihigh = code >> 6;

      // Lower band (§4.2): reconstruct with all 6 bits, adapt with the 4-bit truncation.
      const rlow = clamp(low.s + ((low.det * QM6[ilow]!) >> 15), -16384, 16383);
      const code4 = ilow >> 2;
      const dlow = (low.det * QM4[code4]!) >> 15;
      low.adaptLow(code4);
      low.update(dlow);

      // Higher band (§4.3).
      const dhigh = (high.det * QM2[ihigh]!) >> 15;
      const rhigh = clamp(dhigh + high.s, -16384, 16383);
      high.adaptHigh(ihigh);
      high.update(dhigh);

      // Receive QMF (§4.4): two output samples from the sum and difference of the bands.
      x.copyWithin(0, 2);
      x[22] = rlow + rhigh;
      x[23] = rlow - rhigh;
      let even = 0;
      let odd = 0;
      for (let i = 0; i < 12; i++) {
        odd += x[2 * i]! * QMF[i]!;
        even += x[2 * i + 1]! * QMF[11 - i]!;
      }
      dst[out++] = sat(even >> 11);
      dst[out++] = sat(odd >> 11);
    }
  }
}

/**
 * Whole-phrase template matching: an utterance against recordings of each phrase spoken by the
 * embedded TTS (espeak-ng, several voices), by dynamic time warping of mel cepstra. It hears the
 * embedded voices (the phonenet's personas, synthetic test callers) far better than the English
 * acoustic model does, which fits espeak's formant speech poorly and hears Mandarin through English
 * phones. Noise: the utterance's own noise floor (its quietest frames' mel spectrum) is added to
 * every template before the comparison, so a noisy caller is compared with templates in the same
 * noise rather than with clean ones.
 */
import { RealFft } from '../fft.js';

const FRAME = 200; // 25 ms at 8 kHz
const HOP = 80; // 10 ms
const NFFT = 256;
const BANDS = 23;
const CEPS = 12; // c1..c12 (c0, the level, is left out)

let fft: RealFft | undefined;
let filters: Float64Array[] | undefined;
let dct: Float64Array[] | undefined;
let window: Float64Array | undefined;

function setup(): void {
  if (fft) return;
  fft = new RealFft(NFFT);
  window = new Float64Array(FRAME);
  for (let i = 0; i < FRAME; i++) window[i] = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (FRAME - 1));
  const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
  const hz = (m: number) => 700 * (10 ** (m / 2595) - 1);
  const lo = mel(100);
  const hi = mel(3800);
  const edges = Array.from(
    { length: BANDS + 2 },
    (_, i) => (hz(lo + ((hi - lo) * i) / (BANDS + 1)) * NFFT) / 8000,
  );
  filters = [];
  for (let b = 0; b < BANDS; b++) {
    const f = new Float64Array(NFFT / 2 + 1);
    const [l, c, r] = [edges[b]!, edges[b + 1]!, edges[b + 2]!];
    for (let k = 0; k <= NFFT / 2; k++) {
      if (k > l && k <= c) f[k] = (k - l) / (c - l);
      else if (k > c && k < r) f[k] = (r - k) / (r - c);
    }
    filters.push(f);
  }
  dct = [];
  for (let c = 1; c <= CEPS; c++) {
    const row = new Float64Array(BANDS);
    for (let b = 0; b < BANDS; b++) row[b] = Math.cos((Math.PI * c * (b + 0.5)) / BANDS);
    dct.push(row);
  }
}

/** Mel band power of each 10 ms frame: `frames × BANDS`, row-major. */
export function melSpectrum(samples: Int16Array): Float32Array {
  setup();
  const count = samples.length < FRAME ? 0 : Math.floor((samples.length - FRAME) / HOP) + 1;
  const out = new Float32Array(count * BANDS);
  const re = new Float64Array(NFFT);
  const im = new Float64Array(NFFT);
  const power = new Float64Array(NFFT / 2 + 1);
  for (let f = 0; f < count; f++) {
    re.fill(0);
    let prev = f * HOP > 0 ? samples[f * HOP - 1]! : 0;
    for (let i = 0; i < FRAME; i++) {
      const s = samples[f * HOP + i]!;
      re[i] = (s - 0.97 * prev) * window![i]!;
      prev = s;
    }
    fft!.power(re, im, power);
    for (let b = 0; b < BANDS; b++) {
      const filt = filters![b]!;
      let e = 0;
      for (let k = 0; k <= NFFT / 2; k++) e += filt[k]! * power[k]!;
      out[f * BANDS + b] = e;
    }
  }
  return out;
}

/** The noise floor of a mel spectrum: per band, the mean of its quietest tenth of frames (by level). */
export function noiseFloor(mel: Float32Array): Float32Array {
  const frames = mel.length / BANDS;
  const floor = new Float32Array(BANDS);
  if (frames === 0) return floor;
  const level = Array.from({ length: frames }, (_, f) => {
    let e = 0;
    for (let b = 0; b < BANDS; b++) e += mel[f * BANDS + b]!;
    return [e, f] as const;
  }).sort((a, b) => a[0] - b[0]);
  const n = Math.max(1, Math.floor(frames / 10));
  for (let i = 0; i < n; i++) {
    const f = level[i]![1];
    for (let b = 0; b < BANDS; b++) floor[b]! += mel[f * BANDS + b]! / n;
  }
  return floor;
}

/**
 * Cepstra (c1..c12) of `mel` with `floor` added to every frame's band power (plus a small absolute
 * floor), mean-normalised over the utterance: `frames × CEPS`, row-major.
 */
export function cepstra(mel: Float32Array, floor?: Float32Array): Float32Array {
  setup();
  const frames = mel.length / BANDS;
  const out = new Float32Array(frames * CEPS);
  const logs = new Float64Array(BANDS);
  for (let f = 0; f < frames; f++) {
    for (let b = 0; b < BANDS; b++) logs[b] = Math.log(mel[f * BANDS + b]! + (floor ? floor[b]! : 0) + 1e3);
    for (let c = 0; c < CEPS; c++) {
      const row = dct![c]!;
      let v = 0;
      for (let b = 0; b < BANDS; b++) v += row[b]! * logs[b]!;
      out[f * CEPS + c] = v;
    }
  }
  const mean = new Float64Array(CEPS);
  for (let f = 0; f < frames; f++) for (let c = 0; c < CEPS; c++) mean[c]! += out[f * CEPS + c]! / frames;
  for (let f = 0; f < frames; f++) for (let c = 0; c < CEPS; c++) out[f * CEPS + c]! -= mean[c]!;
  return out;
}

/**
 * Dynamic time warping distance between two cepstra sequences: mean Euclidean frame distance
 * along the best path (steps (1,1), (1,0), (0,1)), within a band of ±40% of the longer length.
 * Infinity when the lengths differ by more than 2.2 times.
 */
export function dtw(
  a: Float32Array,
  b: Float32Array,
  bound = Number.POSITIVE_INFINITY,
  limit = Number.POSITIVE_INFINITY,
): number {
  const n = a.length / CEPS;
  const m = b.length / CEPS;
  if (n === 0 || m === 0 || n > 2.2 * m || m > 2.2 * n) return Number.POSITIVE_INFINITY;
  const band = Math.max(Math.abs(n - m) + 2, Math.ceil(0.4 * Math.max(n, m)));
  // The hot loop of recognition (a phrase list's templates × the utterance's frames × the band):
  // the utterance frame sits in locals, the 12 squared differences are summed unrolled in the
  // order of the plain loop, and the row minimum is only tracked when a bound can use it, so the
  // result is the same number, bit for bit, as the straightforward version (test/speech/dtw.test.ts).
  const abandon = bound !== Number.POSITIVE_INFINITY;
  // `limit`: the caller needs the distance only if it is at most this. Costs are never negative and
  // a path through cell (i, j) that has taken `len` cells ends with at most len + (n − i) + (m − j)
  // cells, so its distance is at least cost / (len + n − i + m − j). Once that exceeds the limit for
  // every cell of a row, the distance is over the limit whatever follows (exact, not a heuristic).
  const limited = limit !== Number.POSITIVE_INFINITY;
  let prev = new Float64Array(m + 1).fill(Number.POSITIVE_INFINITY);
  let cur = new Float64Array(m + 1);
  let prevLen = new Float64Array(m + 1);
  let curLen = new Float64Array(m + 1);
  let swap: Float64Array<ArrayBuffer>;
  prev[0] = 0;
  for (let i = 1; i <= n; i++) {
    cur.fill(Number.POSITIVE_INFINITY);
    const center = Math.round((i * m) / n);
    const lo = Math.max(1, center - band);
    const hi = Math.min(m, center + band);
    let rowMin = Number.POSITIVE_INFINITY;
    const ai = (i - 1) * CEPS;
    const a0 = a[ai]!;
    const a1 = a[ai + 1]!;
    const a2 = a[ai + 2]!;
    const a3 = a[ai + 3]!;
    const a4 = a[ai + 4]!;
    const a5 = a[ai + 5]!;
    const a6 = a[ai + 6]!;
    const a7 = a[ai + 7]!;
    const a8 = a[ai + 8]!;
    const a9 = a[ai + 9]!;
    const a10 = a[ai + 10]!;
    const a11 = a[ai + 11]!;
    // Whether some cell of the row may still end within the limit.
    let reachable = !limited;
    const rest = n - i + m;
    let left = cur[lo - 1]!;
    let leftLen = curLen[lo - 1]!;
    for (let j = lo; j <= hi; j++) {
      const bj = (j - 1) * CEPS;
      let x = a0 - b[bj]!;
      let d = x * x;
      x = a1 - b[bj + 1]!;
      d += x * x;
      x = a2 - b[bj + 2]!;
      d += x * x;
      x = a3 - b[bj + 3]!;
      d += x * x;
      x = a4 - b[bj + 4]!;
      d += x * x;
      x = a5 - b[bj + 5]!;
      d += x * x;
      x = a6 - b[bj + 6]!;
      d += x * x;
      x = a7 - b[bj + 7]!;
      d += x * x;
      x = a8 - b[bj + 8]!;
      d += x * x;
      x = a9 - b[bj + 9]!;
      d += x * x;
      x = a10 - b[bj + 10]!;
      d += x * x;
      x = a11 - b[bj + 11]!;
      d += x * x;
      d = Math.sqrt(d);
      let best = prev[j - 1]!;
      let len = prevLen[j - 1]!;
      const up = prev[j]!;
      if (up < best) {
        best = up;
        len = prevLen[j]!;
      }
      if (left < best) {
        best = left;
        len = leftLen;
      }
      left = best + d;
      leftLen = len + 1;
      cur[j] = left;
      curLen[j] = leftLen;
      // Divided, not multiplied: at the last cell this is the very quotient returned, so a limit
      // equal to the distance is never abandoned by rounding.
      if (!reachable && left / (leftLen + rest - j) <= limit) reachable = true;
      if (abandon && left / (i + j) < rowMin) rowMin = left / (i + j);
    }
    if (rowMin > bound * 1.5 || !reachable) return Number.POSITIVE_INFINITY;
    swap = prev;
    prev = cur;
    cur = swap;
    swap = prevLen;
    prevLen = curLen;
    curLen = swap;
    if (i === 1) prev[0] = Number.POSITIVE_INFINITY;
  }
  return prev[m]! / prevLen[m]!;
}

/** Mel bands per frame of {@link melSpectrum} (templates are stored as mel power). */
export const MEL_BANDS = BANDS;

/**
 * Templates of a phrase list: each template's decoder word and mel spectrum, packed in one
 * shared buffer so that every recognition request can carry them to a decoder thread without a copy.
 */
export interface TemplateBank {
  /** Decoder word (`__p3`) of each template. */
  words: string[];
  /** Start of each template in `mel` (in frames), plus the end: `words.length + 1` entries. */
  offsets: Int32Array;
  /** Mel power, `frames × MEL_BANDS`, over a SharedArrayBuffer. */
  mel: Float32Array;
}

export function packTemplates(items: readonly { word: string; mel: Float32Array }[]): TemplateBank {
  const offsets = new Int32Array(items.length + 1);
  for (let i = 0; i < items.length; i++) offsets[i + 1] = offsets[i]! + items[i]!.mel.length / BANDS;
  const mel = new Float32Array(new SharedArrayBuffer(offsets[items.length]! * BANDS * 4));
  for (const [i, t] of items.entries()) mel.set(t.mel, offsets[i]! * BANDS);
  return { words: items.map((t) => t.word), offsets, mel };
}

export interface TemplateMatch {
  /** Decoder word of the closest template ('' when no template was within the length limits). */
  word: string;
  distance: number;
  /** Distance of the closest template of another phrase. */
  runnerUp: number;
  /** Frames of the closest template (0 when none). */
  frames: number;
  /** Each phrase's closest template distance (Infinity when abandoned or out of length limits). */
  distances: Map<string, number>;
}

/** An utterance ready for comparison: its cepstra with its own noise floor, and that floor. */
export interface UtteranceFeatures {
  cepstra: Float32Array;
  floor: Float32Array;
}

export function utteranceFeatures(samples: Int16Array): UtteranceFeatures {
  const mel = melSpectrum(samples);
  const floor = noiseFloor(mel);
  return { cepstra: cepstra(mel, floor), floor };
}

/**
 * The phrase whose templates come closest to `samples` (already trimmed), with the distance of the
 * best other phrase. The utterance's noise floor is added to every template.
 *
 * A template is abandoned (its distance not computed to the end) once it provably exceeds
 * `runnerUpWithin` × the closest so far: the runner-up's distance is exact whenever it is within
 * that factor of the closest's (farther, it may read Infinity).
 *
 * `limit`: the caller only wants the closest phrase if its distance is at most this (a call's
 * recognition, phraseRecognizer.ts). A template whose distance provably exceeds the limit is then
 * abandoned as well: `word` and `distance` are the same as without a limit whenever `distance` ≤
 * `limit` (test/speech/dtw.test.ts), while `runnerUp` may be larger than the true one, and over the
 * limit `word` may be ''.
 */
export function matchTemplates(
  samples: Int16Array,
  bank: TemplateBank,
  limit = Number.POSITIVE_INFINITY,
  runnerUpWithin = 1,
): TemplateMatch {
  return matchFeatures(utteranceFeatures(samples), bank, limit, runnerUpWithin);
}

export function matchFeatures(
  utterance: UtteranceFeatures,
  bank: TemplateBank,
  limit = Number.POSITIVE_INFINITY,
  runnerUpWithin = 1,
): TemplateMatch {
  const { cepstra: x, floor } = utterance;
  const frames = x.length / CEPS;
  const best = new Map<string, number>();
  // Templates within the length limits; each phrase takes its place in the bank's order (ties go to
  // the phrase seen first, as in a comparison in that order).
  const order: number[] = [];
  for (let t = 0; t < bank.words.length; t++) {
    const length = bank.offsets[t + 1]! - bank.offsets[t]!;
    if (frames > 2.2 * length || length > 2.2 * frames) continue;
    order.push(t);
    if (!best.has(bank.words[t]!)) best.set(bank.words[t]!, Number.POSITIVE_INFINITY);
  }
  // Templates of about the utterance's length first: the closest is usually among them, and once
  // it is known the others are abandoned early.
  order.sort(
    (p, q) =>
      Math.abs(bank.offsets[p + 1]! - bank.offsets[p]! - frames) -
        Math.abs(bank.offsets[q + 1]! - bank.offsets[q]! - frames) || p - q,
  );
  let closest = Number.POSITIVE_INFINITY;
  let closestAt = -1;
  for (const t of order) {
    const a = bank.offsets[t]!;
    const b = bank.offsets[t + 1]!;
    const cap = Math.min(limit, closest * runnerUpWithin);
    const d = dtw(x, cepstra(bank.mel.subarray(a * BANDS, b * BANDS), floor), Number.POSITIVE_INFINITY, cap);
    const word = bank.words[t]!;
    // Ties go to the template first in the bank, whatever the order of comparison.
    if (d < closest || (d === closest && d !== Number.POSITIVE_INFINITY && t < closestAt)) {
      closest = d;
      closestAt = t;
    }
    if (d < best.get(word)!) best.set(word, d);
  }
  const closestFrames = closestAt < 0 ? 0 : bank.offsets[closestAt + 1]! - bank.offsets[closestAt]!;
  let word = '';
  let distance = Number.POSITIVE_INFINITY;
  let runnerUp = Number.POSITIVE_INFINITY;
  for (const [w, d] of best) {
    if (d < distance) {
      runnerUp = distance;
      distance = d;
      word = w;
    } else if (d < runnerUp) runnerUp = d;
  }
  return { word, distance, runnerUp, frames: word ? closestFrames : 0, distances: best };
}

/**
 * The exact distance of one phrase's closest template (no template abandoned); Infinity when none
 * of its templates is within the length limits of a comparison (2.2 times).
 */
export function phraseDistance(utterance: UtteranceFeatures, bank: TemplateBank, word: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let t = 0; t < bank.words.length; t++) {
    if (bank.words[t] !== word) continue;
    const a = bank.offsets[t]!;
    const b = bank.offsets[t + 1]!;
    best = Math.min(
      best,
      dtw(utterance.cepstra, cepstra(bank.mel.subarray(a * BANDS, b * BANDS), utterance.floor)),
    );
  }
  return best;
}

/**
 * Signal-level helpers around the phrase decoder: edge trimming, a deterministic noise floor, and
 * the "speech outside the phrase" measure used for rejection.
 */

/**
 * Cuts leading and trailing near-silence off an utterance before the decoder sees it, keeping
 * `marginMs` of it on each side (a stop consonant needs its closure to be heard). Frames more than
 * `dropDb` under the loudest 20 ms frame count as silence. Noisy audio is hardly trimmed (its noise
 * is within 35 dB of the speech); the decoder's silence fillers take care of it.
 */
export function trimSilence(samples: Int16Array, dropDb = 35, marginMs = 0): Int16Array {
  const frame = 160;
  const count = Math.floor(samples.length / frame);
  if (count === 0) return samples;
  const level = new Float64Array(count);
  let peak = Number.NEGATIVE_INFINITY;
  for (let f = 0; f < count; f++) {
    let sum = 0;
    for (let i = f * frame; i < (f + 1) * frame; i++) sum += samples[i]! * samples[i]!;
    level[f] = 10 * Math.log10(sum / frame + 1);
    if (level[f]! > peak) peak = level[f]!;
  }
  const floor = peak - dropDb;
  let first = 0;
  while (first < count && level[first]! <= floor) first++;
  let last = count - 1;
  while (last > first && level[last]! <= floor) last--;
  const start = Math.max(0, first * frame - marginMs * 8);
  const end = Math.min(samples.length, (last + 1) * frame + marginMs * 8);
  return samples.subarray(start, end);
}

/**
 * The decoder's input: samples scaled to ±1 plus ±1 LSB of seeded noise. Digital silence (exact
 * zeros, as from TTS or a muted line) otherwise yields degenerate cepstra that no silence model
 * fits, and the phrase is stretched over it. Deterministic, so a recording always gives the same
 * result (the decoder's own `dither` is seeded once per decoder, so results would depend on what it
 * decoded before).
 */
export function withNoiseFloor(samples: Int16Array, lsb = 1): Float32Array {
  const out = new Float32Array(samples.length);
  let s = 12345;
  for (let i = 0; i < samples.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (samples[i]! + lsb * (s / 2147483648 - 1)) / 32768;
  }
  return out;
}

/** Level of each 10 ms frame (80 samples) in dB. */
export function frameLevels(samples: Int16Array): Float64Array {
  const count = Math.floor(samples.length / 80);
  const level = new Float64Array(count);
  for (let f = 0; f < count; f++) {
    let sum = 0;
    for (let i = f * 80; i < (f + 1) * 80; i++) sum += samples[i]! * samples[i]!;
    level[f] = 10 * Math.log10(sum / 80 + 1);
  }
  return level;
}

/**
 * Of the frames that carry speech energy, the fraction outside [begin, end) (10 ms frames): speech
 * the decoder explained as silence rather than as the phrase. A frame carries speech energy when it
 * is `aboveFloorDb` over the noise floor (the 10th percentile frame) and within 30 dB of the peak.
 * An off-list sentence forced onto a short phrase leaves most of its speech to the silence filler;
 * an in-list answer leaves little, whatever the noise (measured on the dev set: median 0.48 for
 * off-list sentences, under 0.1 for 90% of in-list answers, clean or at 10 dB SNR).
 */
export function outsideSpeechFraction(
  levels: Float64Array,
  begin: number,
  end: number,
  aboveFloorDb = 10,
): number {
  if (levels.length === 0) return 1;
  const sorted = Float64Array.from(levels).sort();
  const floor = sorted[Math.floor(0.1 * (sorted.length - 1))]!;
  const threshold = Math.max(sorted[sorted.length - 1]! - 30, floor + aboveFloorDb);
  let speech = 0;
  let outside = 0;
  for (let f = 0; f < levels.length; f++) {
    if (levels[f]! <= threshold) continue;
    speech++;
    if (f < begin || f >= end) outside++;
  }
  return speech === 0 ? 1 : outside / speech;
}

/**
 * Cuts leading and trailing near-silence off an utterance before the grammar decoder sees it.
 * Measured: with silence fillers disabled (they otherwise swallow speech, see phraseWorker.ts) the
 * decoder must spend every frame on phrase phones, so silence left at the edges costs accuracy.
 * Frames more than `dropDb` under the loudest 20 ms frame count as silence.
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
  const margin = Math.round(marginMs / 20);
  first = Math.max(0, first - margin);
  last = Math.min(count - 1, last + margin);
  return samples.subarray(first * frame, (last + 1) * frame);
}

/** Playback gain: decibels, linear factors, and SmartCall's `Volume` scale. */

/** Linear factor for a gain in dB (0 dB = 1). */
export function dbToGain(db: number): number {
  return 10 ** (db / 20);
}

/** dB per step of SmartCall's `Volume` (−4…4, spec §SmartCall row 6): ±12 dB over the range. */
export const SMARTCALL_VOLUME_STEP_DB = 3;

/**
 * Gain in dB for SmartCall's `Volume` parameter (integer −4…4; 0 = as recorded). The API documents
 * the range but not the curve; 3 dB per step keeps ±4 within what G.711 can carry without clipping
 * ordinary prompts too often. Throws a RangeError outside the range (the gateway validates first).
 */
export function smartCallVolumeToDb(volume: number): number {
  if (!Number.isInteger(volume) || volume < -4 || volume > 4) {
    throw new RangeError(`SmartCall Volume must be an integer in -4..4, got ${volume}`);
  }
  return volume * SMARTCALL_VOLUME_STEP_DB;
}

/** Multiplies `count` samples of `buf` from `offset` by `gain` in place, saturating at 16 bits. */
export function applyGain(buf: Int16Array, offset: number, count: number, gain: number): void {
  if (gain === 1) return;
  for (let i = offset; i < offset + count; i++) {
    const v = Math.round(buf[i]! * gain);
    buf[i] = Math.min(32767, Math.max(-32768, v));
  }
}

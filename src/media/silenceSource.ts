/** A stretch of silence (pauses between prompts, a `$sleep$`-like gap). */
import type { AudioSource } from './audioSource.js';
import { SAMPLES_PER_MS } from './frame.js';

export class SilenceSource implements AudioSource {
  #left: number;

  constructor(durationMs: number) {
    if (!(durationMs >= 0)) throw new RangeError(`silence duration must be >= 0 ms, got ${durationMs}`);
    this.#left = Math.round(durationMs * SAMPLES_PER_MS);
  }

  get done(): boolean {
    return this.#left === 0;
  }

  read(out: Int16Array, offset: number, count: number): number {
    const n = Math.min(count, this.#left);
    out.fill(0, offset, offset + n);
    this.#left -= n;
    return n;
  }
}

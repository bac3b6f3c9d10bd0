/** A source over samples already in memory (a decoded prompt, a test signal). */
import type { AudioSource } from './audioSource.js';
import { SAMPLE_RATE } from './frame.js';
import { resample } from './resampler.js';

export class PcmSource implements AudioSource {
  readonly #samples: Int16Array;
  #position = 0;

  /** `samples` at 8 kHz; other rates are resampled once, here. */
  constructor(samples: Int16Array, sampleRate = SAMPLE_RATE) {
    this.#samples = sampleRate === SAMPLE_RATE ? samples : resample(samples, sampleRate, SAMPLE_RATE);
  }

  get done(): boolean {
    return this.#position >= this.#samples.length;
  }

  /** Length in ms at 8 kHz. */
  get durationMs(): number {
    return this.#samples.length / (SAMPLE_RATE / 1000);
  }

  read(out: Int16Array, offset: number, count: number): number {
    const n = Math.min(count, this.#samples.length - this.#position);
    if (n <= 0) return 0;
    out.set(this.#samples.subarray(this.#position, this.#position + n), offset);
    this.#position += n;
    return n;
  }
}

/** A sine tone (beeps, test signals). */
import type { AudioSource } from './audioSource.js';
import { SAMPLE_RATE, SAMPLES_PER_MS } from './frame.js';

export class ToneSource implements AudioSource {
  readonly #step: number;
  readonly #amplitude: number;
  #index = 0;
  readonly #length: number;

  /** `amplitude` is a fraction of full scale (default 0.5). */
  constructor(frequencyHz: number, durationMs: number, amplitude = 0.5) {
    this.#step = (2 * Math.PI * frequencyHz) / SAMPLE_RATE;
    this.#amplitude = amplitude * 32767;
    this.#length = Math.round(durationMs * SAMPLES_PER_MS);
  }

  get done(): boolean {
    return this.#index >= this.#length;
  }

  read(out: Int16Array, offset: number, count: number): number {
    const n = Math.min(count, this.#length - this.#index);
    for (let i = 0; i < n; i++)
      out[offset + i] = Math.round(this.#amplitude * Math.sin(this.#step * (this.#index + i)));
    this.#index += Math.max(0, n);
    return Math.max(0, n);
  }
}

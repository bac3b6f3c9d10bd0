/**
 * A source fed while it plays — TTS output arriving in chunks. Chunks at other rates go through one
 * streaming resampler, so chunk boundaries leave no seams. Until {@link end} is called an empty
 * queue means "starved" (the playout plays silence and keeps the item current), not "done".
 */
import type { AudioSource } from './audioSource.js';
import { SAMPLE_RATE } from './frame.js';
import { Resampler } from './resampler.js';

export class StreamSource implements AudioSource {
  readonly sampleRate: number;
  readonly #resampler: Resampler | undefined;
  readonly #chunks: Int16Array[] = [];
  #offset = 0; // read position in #chunks[0]
  #ended = false;
  #closed = false;
  #buffered = 0;

  /** `sampleRate` of the chunks that will be appended (default 8000). */
  constructor(sampleRate = SAMPLE_RATE) {
    this.sampleRate = sampleRate;
    this.#resampler = sampleRate === SAMPLE_RATE ? undefined : new Resampler(sampleRate, SAMPLE_RATE);
  }

  /** Samples waiting to be played (at 8 kHz). */
  get bufferedSamples(): number {
    return this.#buffered;
  }

  get ended(): boolean {
    return this.#ended;
  }

  get done(): boolean {
    return (this.#ended || this.#closed) && this.#buffered === 0;
  }

  /** Adds a chunk (copied or resampled; the caller may reuse its buffer). Ignored after end/close. */
  append(chunk: Int16Array): void {
    if (this.#ended || this.#closed) return;
    this.#push(this.#resampler ? this.#resampler.process(chunk) : chunk.slice());
  }

  /**
   * Adds a chunk the caller hands over (it must not touch it again): no copy when no resampling is
   * needed (a chunk transferred from another thread).
   */
  appendOwned(chunk: Int16Array): void {
    if (this.#resampler) this.append(chunk);
    else if (!this.#ended && !this.#closed) this.#push(chunk);
  }

  /** No more chunks: the source is done once what is buffered has played. */
  end(): void {
    if (this.#ended) return;
    if (this.#resampler && !this.#closed) this.#push(this.#resampler.flush());
    this.#ended = true;
  }

  /** Drops everything (barge-in); later appends are ignored. */
  close(): void {
    this.#closed = true;
    this.#chunks.length = 0;
    this.#offset = 0;
    this.#buffered = 0;
  }

  read(out: Int16Array, offset: number, count: number): number {
    let written = 0;
    while (written < count && this.#chunks.length > 0) {
      const chunk = this.#chunks[0]!;
      const n = Math.min(count - written, chunk.length - this.#offset);
      out.set(chunk.subarray(this.#offset, this.#offset + n), offset + written);
      written += n;
      this.#offset += n;
      if (this.#offset === chunk.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
    this.#buffered -= written;
    return written;
  }

  #push(samples: Int16Array): void {
    if (samples.length === 0) return;
    this.#chunks.push(samples);
    this.#buffered += samples.length;
  }
}

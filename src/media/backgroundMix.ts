/**
 * A background bed (SmartCall `BackgroundFileCode`, spec §3.1 row 23): one piece of audio looped for
 * as long as the call sends and added, sample by sample and with its own gain, to every outgoing
 * frame — under the prompts and in the silence between them alike. It is not a playout item, so a
 * barge-in (Playout.flush) stops the prompt and leaves the bed playing.
 *
 * Each pass over the material is a fresh source from `make` (a decoded voice file is a cheap view
 * over its samples). The next pass is made as soon as the current one is, so a source that arrives
 * asynchronously (a file still decoding) is ready by the seam and the loop has no gap. A pass that
 * ends without a single sample (empty or unreadable file) ends the bed instead of spinning.
 *
 * Hot path: {@link mixInto} runs once per 20 ms tick and allocates nothing (one scratch frame,
 * reused); only the once-per-pass `make` allocates.
 */
import type { AudioSource } from './audioSource.js';
import { FRAME_SAMPLES } from './frame.js';
import { dbToGain } from './gain.js';

export interface BackgroundMixOptions {
  /** Gain in dB applied to the bed (0 = as recorded). */
  gainDb?: number;
  /** Scratch size; mixInto handles any count in chunks of it (default one frame). */
  frameSamples?: number;
}

export class BackgroundMix {
  readonly #make: () => AudioSource;
  readonly #gain: number;
  readonly #scratch: Int16Array;
  #current: AudioSource | undefined;
  #next: AudioSource | undefined;
  /** Samples the current pass has given so far (0 at its end means the material is empty). */
  #passSamples = 0;
  #ended = false;

  constructor(make: () => AudioSource, options: BackgroundMixOptions = {}) {
    this.#make = make;
    this.#gain = dbToGain(options.gainDb ?? 0);
    this.#scratch = new Int16Array(options.frameSamples ?? FRAME_SAMPLES);
  }

  /** True once the bed has stopped for good (closed, or its material turned out empty). */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Adds the next `count` samples of the bed, times its gain, to `out[offset..offset+count)`,
   * saturating at 16 bits. Returns true when any background sample was added (a starved or ended
   * bed adds nothing and leaves `out` as it was).
   */
  mixInto(out: Int16Array, offset: number, count: number): boolean {
    if (this.#ended) return false;
    const scratch = this.#scratch;
    const gain = this.#gain;
    let mixed = false;
    let done = 0;
    while (done < count) {
      const want = Math.min(count - done, scratch.length);
      const n = this.#read(scratch, want);
      if (n === 0) break;
      const base = offset + done;
      for (let i = 0; i < n; i++) {
        const v = out[base + i]! + Math.round(scratch[i]! * gain);
        out[base + i] = Math.min(32767, Math.max(-32768, v)); // Int16Array wraps; clip instead
      }
      mixed = true;
      done += n;
      if (n < want) break; // starved: the rest of this frame goes without background
    }
    return mixed;
  }

  /** Stops the bed and releases its sources. Idempotent. */
  close(): void {
    this.#ended = true;
    this.#current?.close?.();
    this.#next?.close?.();
    this.#current = undefined;
    this.#next = undefined;
  }

  /** Reads up to `want` samples into the scratch, across pass seams. */
  #read(scratch: Int16Array, want: number): number {
    let filled = 0;
    while (filled < want && !this.#ended) {
      if (!this.#current) {
        this.#current = this.#next ?? this.#make();
        this.#next = this.#make();
        this.#passSamples = 0;
      }
      const source = this.#current;
      const n = source.read(scratch, filled, want - filled);
      filled += n;
      this.#passSamples += n;
      if (filled === want) break;
      if (!source.done) break; // starved (still arriving): try again next tick
      source.close?.();
      this.#current = undefined;
      if (this.#passSamples === 0) this.close(); // nothing to loop
    }
    return filled;
  }
}

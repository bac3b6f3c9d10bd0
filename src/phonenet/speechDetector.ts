/**
 * Hearing the platform: a detector turns the 20 ms frames a persona receives into speech segments.
 * The interface is what `wait: prompt-end` needs. The default decides frame by frame on energy;
 * {@link vadDetector} makes the same segmenter run on the speech layer's VAD instead.
 */
import { FRAME_MS } from '../media/frame.js';
import type { Vad } from '../speech/vad.js';

export type SpeechEdge =
  /** Speech began; `at` is the start of its first loud frame. */
  | { type: 'start'; at: number }
  /** Speech ended (reported after the hangover); `at` is the end of its last loud frame. */
  | { type: 'end'; at: number; startedAt: number };

export interface SpeechDetector {
  /** One received frame and its clock time (ms); an edge when speech starts or ends here. */
  push(frame: Int16Array, time: number): SpeechEdge | undefined;
  /** In a segment (the hangover included). */
  readonly speaking: boolean;
}

export interface SegmenterOptions {
  /** Loud time needed to call it speech, ms (default 60: clicks and DTMF blips are ignored). */
  minSpeechMs?: number;
  /** Quiet time that ends a segment, ms (default 700: pauses between words and phrases are kept). */
  hangoverMs?: number;
}

export interface EnergyDetectorOptions extends SegmenterOptions {
  /** Frame RMS above this (dBFS) is loud (default -45: G.711 line noise is far below, speech far above). */
  thresholdDb?: number;
}

/** Frame decisions (speech or not) → segments, with a minimum length and a hangover. */
export class Segmenter implements SpeechDetector {
  readonly #isSpeech: (frame: Int16Array) => boolean;
  readonly #minFrames: number;
  readonly #hangover: number;
  #loudRun = 0;
  #firstLoud = 0;
  #speaking = false;
  #startedAt = 0;
  #lastLoudEnd = 0;

  constructor(isSpeech: (frame: Int16Array) => boolean, options: SegmenterOptions = {}) {
    this.#isSpeech = isSpeech;
    this.#minFrames = Math.max(1, Math.round((options.minSpeechMs ?? 60) / FRAME_MS));
    this.#hangover = options.hangoverMs ?? 700;
  }

  get speaking(): boolean {
    return this.#speaking;
  }

  push(frame: Int16Array, time: number): SpeechEdge | undefined {
    if (this.#isSpeech(frame)) {
      if (this.#loudRun === 0) this.#firstLoud = time;
      this.#loudRun++;
      this.#lastLoudEnd = time + FRAME_MS;
      if (!this.#speaking && this.#loudRun >= this.#minFrames) {
        this.#speaking = true;
        this.#startedAt = this.#firstLoud;
        return { type: 'start', at: this.#startedAt };
      }
      return undefined;
    }
    this.#loudRun = 0;
    if (this.#speaking && time + FRAME_MS - this.#lastLoudEnd >= this.#hangover) {
      this.#speaking = false;
      return { type: 'end', at: this.#lastLoudEnd, startedAt: this.#startedAt };
    }
    return undefined;
  }
}

/** The default detector: a frame is speech when its RMS level is above the threshold. */
export class EnergyDetector extends Segmenter {
  constructor(options: EnergyDetectorOptions = {}) {
    const rms = 32768 * 10 ** ((options.thresholdDb ?? -45) / 20);
    const meanSquare = rms * rms;
    super((frame) => {
      let sum = 0;
      for (let i = 0; i < frame.length; i++) sum += frame[i]! * frame[i]!;
      return sum >= meanSquare * frame.length;
    }, options);
  }
}

/** A detector on the speech layer's VAD (one per call: a Vad keeps per-call state; reset here). */
export function vadDetector(vad: Vad, options: SegmenterOptions = {}): SpeechDetector {
  vad.reset();
  return new Segmenter((frame) => vad.process(frame) >= vad.threshold, options);
}

/**
 * One call's streaming recognition on a sherpa-onnx OnlineRecognizer: 8 kHz frames in (upsampled
 * to the model's 16 kHz), partial and final sentences out. Runs in the decode worker; pure apart
 * from the recognizer, so tests drive it with a stand-in.
 *
 * - A sentence ends once its text has not changed for PauseTime (`pauseMs`) of audio: the call's
 *   own pause rule, which sherpa's endpoint rules (one set per recognizer) cannot express per call.
 *   sherpa's rules still end a sentence that runs 20 s.
 * - `finish()` feeds 0.4 s of silence before `inputFinished()`, as sherpa-onnx's own examples do:
 *   the encoder needs look-ahead frames, and without them the last word is never decoded.
 */
import { Resampler } from '../../media/resampler.js';
import type { AsrResultEvent } from '../asr.js';
import type { OnlineRecognizerLike, OnlineStreamLike } from './sherpaRecognizer.js';

/** Silence fed on finish() so the model decodes the last word (sherpa-onnx examples: 0.4 s). */
export const TAIL_PADDING_SAMPLES = 6400;
/** PauseTime when the call gives none (sherpa's own rule 2 default). */
const DEFAULT_PAUSE_MS = 1200;

export class SherpaOnlineSession {
  readonly #recognizer: OnlineRecognizerLike;
  readonly #stream: OnlineStreamLike;
  readonly #pauseMs: number;
  readonly #resampler = new Resampler(8000, 16000);
  #positionMs = 0;
  #sentenceStartMs = 0;
  #lastText = '';
  #lastChangeMs = 0;
  #finished = false;

  constructor(recognizer: OnlineRecognizerLike, pauseMs?: number) {
    this.#recognizer = recognizer;
    this.#stream = recognizer.createStream();
    this.#pauseMs = pauseMs ?? DEFAULT_PAUSE_MS;
  }

  /** One 8 kHz frame; returns the events it produced. */
  write(frame: Int16Array): AsrResultEvent[] {
    if (this.#finished) return [];
    this.#positionMs += frame.length / 8;
    this.#stream.acceptWaveform({ samples: to16k(frame, this.#resampler), sampleRate: 16000 });
    const events: AsrResultEvent[] = [];
    this.#drain(events, false);
    return events;
  }

  /** No more audio: pads the tail, decodes what is left and reports the last sentence. */
  finish(): AsrResultEvent[] {
    if (this.#finished) return [];
    this.#finished = true;
    const events: AsrResultEvent[] = [];
    this.#stream.acceptWaveform({ samples: new Float32Array(TAIL_PADDING_SAMPLES), sampleRate: 16000 });
    this.#stream.inputFinished();
    this.#drain(events, true);
    if (this.#lastText) events.push(this.#event('final', this.#lastText));
    this.#lastText = '';
    return events;
  }

  #drain(events: AsrResultEvent[], finishing: boolean): void {
    const r = this.#recognizer;
    while (r.isReady(this.#stream)) r.decode(this.#stream);
    const text = r.getResult(this.#stream).text.trim();
    if (text !== this.#lastText) {
      this.#lastChangeMs = this.#positionMs;
      this.#lastText = text;
      if (text) events.push(this.#event('partial', text));
    }
    if (finishing) return;
    const paused = text !== '' && this.#positionMs - this.#lastChangeMs >= this.#pauseMs;
    if (paused || r.isEndpoint(this.#stream)) {
      if (text) events.push(this.#event('final', text));
      r.reset(this.#stream);
      this.#lastText = '';
      this.#sentenceStartMs = this.#positionMs;
      this.#lastChangeMs = this.#positionMs;
    }
  }

  #event(type: 'partial' | 'final', text: string): AsrResultEvent {
    return { type, text, beginMs: this.#sentenceStartMs, endMs: this.#positionMs, confidence: 1 };
  }
}

export function to16k(frame: Int16Array, resampler: Resampler): Float32Array {
  const up = resampler.process(frame);
  const out = new Float32Array(up.length);
  for (let i = 0; i < up.length; i++) out[i] = up[i]! / 32768;
  return out;
}

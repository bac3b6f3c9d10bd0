/** A phrase model as an {@link AsrEngine}: our VAD segments the call, the phrase recognizer names each sentence. */
import type { AsrEngine, AsrStream, AsrStreamOptions } from '../asr.js';
import { SegmentedAsrStream } from '../segmentedAsrStream.js';
import type { Vad } from '../vad.js';
import type { PhraseRecognizer } from './phraseRecognizer.js';

export class PhraseAsrEngine implements AsrEngine {
  readonly name: string;
  readonly recognizer: PhraseRecognizer;
  readonly #createVad: () => Vad;
  readonly #timeoutMs: number;

  constructor(recognizer: PhraseRecognizer, createVad: () => Vad, timeoutMs = 3000) {
    this.name = `phrase:${recognizer.name}`;
    this.recognizer = recognizer;
    this.#createVad = createVad;
    this.#timeoutMs = timeoutMs;
  }

  createStream(options: AsrStreamOptions): AsrStream {
    return new SegmentedAsrStream({
      ...options,
      recognizer: this.recognizer,
      vad: this.#createVad(),
      timeoutMs: this.#timeoutMs,
    });
  }

  /** The recognizer's decoders belong to the shared pool; nothing to release per model. */
  async close(): Promise<void> {}
}

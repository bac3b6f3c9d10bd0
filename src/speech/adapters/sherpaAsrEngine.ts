/**
 * sherpa-onnx recognizers as smartcall ASR engines. Models are 16 kHz: audio is upsampled here.
 * Streaming transducers get every frame and report partials; offline models (SenseVoice,
 * Paraformer) sit behind our VAD segmentation like the embedded phrase recognizer.
 */
import { Resampler } from '../../media/resampler.js';
import type { AsrEngine, AsrStream, AsrStreamOptions, Recognition, UtteranceRecognizer } from '../asr.js';
import { SegmentedAsrStream } from '../segmentedAsrStream.js';
import type { Vad } from '../vad.js';
import { inspectSherpaModel, loadSherpa, type SherpaModel, SherpaModelError } from './sherpaModel.js';

interface OnlineRecognizerLike {
  createStream(): OnlineStreamLike;
  isReady(s: OnlineStreamLike): boolean;
  decode(s: OnlineStreamLike): void;
  isEndpoint(s: OnlineStreamLike): boolean;
  reset(s: OnlineStreamLike): void;
  getResult(s: OnlineStreamLike): { text: string };
}
interface OnlineStreamLike {
  acceptWaveform(o: { samples: Float32Array; sampleRate: number }): void;
  inputFinished(): void;
}
interface OfflineRecognizerLike {
  createStream(): { acceptWaveform(o: { samples: Float32Array; sampleRate: number }): void };
  decode(s: unknown): void;
  getResult(s: unknown): { text: string };
}

export interface SherpaAsrEngineOptions {
  modelDir: string;
  numThreads?: number;
  /** Detector for offline models' segmentation (one per stream). */
  createVad: () => Vad;
  timeoutMs?: number;
}

export class SherpaAsrEngine implements AsrEngine {
  readonly name = 'sherpa';
  readonly model: SherpaModel;
  readonly #online: OnlineRecognizerLike | null = null;
  readonly #offline: OfflineRecognizerLike | null = null;
  readonly #options: SherpaAsrEngineOptions;

  /** Loads the model now: throws SherpaModelError with the reason when it cannot. */
  constructor(options: SherpaAsrEngineOptions) {
    this.#options = options;
    this.model = inspectSherpaModel(options.modelDir);
    const sherpa = loadSherpa();
    const numThreads = options.numThreads ?? 1;
    const featConfig = { sampleRate: 16000, featureDim: 80 };
    try {
      if (this.model.kind === 'online-transducer') {
        const Online = sherpa.OnlineRecognizer as new (c: object) => OnlineRecognizerLike;
        const { encoder, decoder, joiner, tokens } = this.model;
        this.#online = new Online({
          featConfig,
          modelConfig: { transducer: { encoder, decoder, joiner }, tokens, numThreads, provider: 'cpu' },
          enableEndpoint: true,
        });
      } else if (this.model.kind !== 'tts-vits') {
        const Offline = sherpa.OfflineRecognizer as new (c: object) => OfflineRecognizerLike;
        const modelConfig =
          this.model.kind === 'offline-sense-voice'
            ? { senseVoice: { model: this.model.model, useInverseTextNormalization: 1 } }
            : { paraformer: { model: this.model.model } };
        this.#offline = new Offline({
          featConfig,
          modelConfig: { ...modelConfig, tokens: this.model.tokens, numThreads, provider: 'cpu' },
        });
      } else {
        throw new SherpaModelError(`${options.modelDir} holds a TTS model, not an ASR model`);
      }
    } catch (err) {
      if (err instanceof SherpaModelError) throw err;
      throw new SherpaModelError(`sherpa-onnx could not load ${options.modelDir}: ${(err as Error).message}`);
    }
  }

  createStream(options: AsrStreamOptions): AsrStream {
    if (this.#online) return new SherpaOnlineStream(this.#online, options);
    return new SegmentedAsrStream({
      ...options,
      recognizer: new SherpaOfflineRecognizer(this.#offline!),
      vad: this.#options.createVad(),
      timeoutMs: this.#options.timeoutMs,
    });
  }

  async close(): Promise<void> {}
}

function to16k(frame: Int16Array, resampler: Resampler): Float32Array {
  const up = resampler.process(frame);
  const out = new Float32Array(up.length);
  for (let i = 0; i < up.length; i++) out[i] = up[i]! / 32768;
  return out;
}

class SherpaOfflineRecognizer implements UtteranceRecognizer {
  readonly name = 'sherpa-offline';
  readonly #recognizer: OfflineRecognizerLike;
  constructor(recognizer: OfflineRecognizerLike) {
    this.#recognizer = recognizer;
  }
  async recognize(samples: Int16Array): Promise<Recognition | null> {
    const stream = this.#recognizer.createStream();
    const resampler = new Resampler(8000, 16000);
    const audio = to16k(samples, resampler);
    stream.acceptWaveform({ samples: audio, sampleRate: 16000 });
    this.#recognizer.decode(stream);
    const text = this.#recognizer.getResult(stream).text.trim();
    return text ? { text, confidence: 1 } : null;
  }
  async close(): Promise<void> {}
}

class SherpaOnlineStream implements AsrStream {
  readonly #recognizer: OnlineRecognizerLike;
  readonly #stream: OnlineStreamLike;
  readonly #onEvent: AsrStreamOptions['onEvent'];
  readonly #resampler = new Resampler(8000, 16000);
  #positionMs = 0;
  #sentenceStartMs = 0;
  #lastText = '';
  #closed = false;

  constructor(recognizer: OnlineRecognizerLike, options: AsrStreamOptions) {
    this.#recognizer = recognizer;
    this.#stream = recognizer.createStream();
    this.#onEvent = options.onEvent;
  }

  write(frame: Int16Array): void {
    if (this.#closed) return;
    this.#positionMs += frame.length / 8;
    this.#stream.acceptWaveform({ samples: to16k(frame, this.#resampler), sampleRate: 16000 });
    this.#drain();
  }

  #drain(): void {
    while (this.#recognizer.isReady(this.#stream)) this.#recognizer.decode(this.#stream);
    const text = this.#recognizer.getResult(this.#stream).text.trim();
    if (text && text !== this.#lastText) {
      this.#lastText = text;
      this.#onEvent({
        type: 'partial',
        text,
        beginMs: this.#sentenceStartMs,
        endMs: this.#positionMs,
        confidence: 1,
      });
    }
    if (this.#recognizer.isEndpoint(this.#stream)) {
      if (text)
        this.#onEvent({
          type: 'final',
          text,
          beginMs: this.#sentenceStartMs,
          endMs: this.#positionMs,
          confidence: 1,
        });
      this.#recognizer.reset(this.#stream);
      this.#lastText = '';
      this.#sentenceStartMs = this.#positionMs;
    }
  }

  async finish(): Promise<void> {
    if (this.#closed) return;
    this.#stream.inputFinished();
    this.#drain();
    if (this.#lastText)
      this.#onEvent({
        type: 'final',
        text: this.#lastText,
        beginMs: this.#sentenceStartMs,
        endMs: this.#positionMs,
        confidence: 1,
      });
    this.#closed = true;
  }

  close(): void {
    this.#closed = true;
  }
}

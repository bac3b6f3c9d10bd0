/**
 * Builds sherpa-onnx-node recognizers and VADs from an inspected model (sherpaModel.ts). Used where
 * native code may run: the decode worker (sherpaWorker.ts) and the probe child
 * (sherpaProbeChild.ts), never on the main thread.
 */
import type { SherpaModel } from './sherpaModel.js';

export interface OnlineStreamLike {
  acceptWaveform(o: { samples: Float32Array; sampleRate: number }): void;
  inputFinished(): void;
}
export interface OnlineRecognizerLike {
  createStream(): OnlineStreamLike;
  isReady(s: OnlineStreamLike): boolean;
  decode(s: OnlineStreamLike): void;
  isEndpoint(s: OnlineStreamLike): boolean;
  reset(s: OnlineStreamLike): void;
  getResult(s: OnlineStreamLike): { text: string };
}
export interface OfflineStreamLike {
  acceptWaveform(o: { samples: Float32Array; sampleRate: number }): void;
}
export interface OfflineRecognizerLike {
  createStream(hotwords?: string): OfflineStreamLike;
  decode(s: OfflineStreamLike): void;
  getResult(s: OfflineStreamLike): { text: string };
}
export interface SherpaVadLike {
  acceptWaveform(samples: Float32Array): void;
  isDetected(): boolean;
  isEmpty(): boolean;
  pop(): void;
  reset(): void;
}

export type Recognizer =
  | { kind: 'online'; recognizer: OnlineRecognizerLike }
  | { kind: 'offline'; recognizer: OfflineRecognizerLike };

const featConfig = { sampleRate: 16000, featureDim: 80 };

/**
 * Sentence ends: sherpa's rule 1 (2.4 s of silence with nothing decoded) and rule 3 (20 s) stay;
 * rule 2 (silence after words) is pushed out of the way, because the stream ends a sentence itself
 * after the call's PauseTime (sherpaOnlineSession.ts), which differs per call while these rules
 * are per recognizer.
 */
const endpointRules = {
  rule1MinTrailingSilence: 2.4,
  rule2MinTrailingSilence: 30,
  rule3MinUtteranceLength: 20,
};

/** `hotwordsFile`: one phrase per line, for a streaming transducer (sherpa takes them per recognizer). */
export function createRecognizer(
  sherpa: Record<string, unknown>,
  model: SherpaModel,
  numThreads: number,
  hotwordsFile?: string,
): Recognizer {
  const base = { numThreads, provider: 'cpu', debug: 0 };
  if (model.kind === 'online-transducer' || model.kind === 'online-zipformer2-ctc') {
    const Online = sherpa.OnlineRecognizer as new (c: object) => OnlineRecognizerLike;
    const modelConfig =
      'encoder' in model
        ? {
            transducer: { encoder: model.encoder, decoder: model.decoder, joiner: model.joiner },
            ...(hotwordsFile && model.hotwords ? model.hotwords : {}),
          }
        : { zipformer2Ctc: { model: model.model } };
    const hot = hotwordsFile
      ? { decodingMethod: 'modified_beam_search', hotwordsFile, hotwordsScore: 1.5 }
      : {};
    const recognizer = new Online({
      featConfig,
      modelConfig: { ...modelConfig, tokens: model.tokens, ...base },
      enableEndpoint: true,
      ...endpointRules,
      ...hot,
    });
    return { kind: 'online', recognizer };
  }
  const Offline = sherpa.OfflineRecognizer as new (c: object) => OfflineRecognizerLike;
  let modelConfig: object;
  let decodingMethod = 'greedy_search';
  if ('encoder' in model) {
    modelConfig = {
      transducer: { encoder: model.encoder, decoder: model.decoder, joiner: model.joiner },
      modelType: 'transducer',
      ...(model.hotwords ?? {}),
    };
    // Per-stream hot words need beam search (sherpa-onnx hotwords docs).
    decodingMethod = 'modified_beam_search';
  } else if (model.kind === 'offline-sense-voice') {
    modelConfig = { senseVoice: { model: model.model, useInverseTextNormalization: 1 } };
  } else if (model.kind === 'offline-paraformer') {
    modelConfig = { paraformer: { model: model.model } };
  } else {
    throw new Error(`${model.model} holds a TTS model, not an ASR model`);
  }
  const recognizer = new Offline({
    featConfig,
    modelConfig: { ...modelConfig, tokens: model.tokens, ...base },
    decodingMethod,
  });
  return { kind: 'offline', recognizer };
}

export function createSileroVad(sherpa: Record<string, unknown>, modelPath: string): SherpaVadLike {
  const VadClass = sherpa.Vad as new (config: object, bufferSeconds: number) => SherpaVadLike;
  return new VadClass(
    {
      sileroVad: {
        model: modelPath,
        threshold: 0.5,
        minSilenceDuration: 0.1,
        minSpeechDuration: 0.05,
        windowSize: 512,
        maxSpeechDuration: 30,
      },
      sampleRate: 16000,
      numThreads: 1,
      debug: false,
    },
    10,
  );
}

/** Runs half a second of quiet noise through a recognizer or VAD: loading is not all that can fail. */
export function exercise(target: Recognizer | SherpaVadLike): void {
  const samples = new Float32Array(8000);
  let seed = 1;
  for (let i = 0; i < samples.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    samples[i] = (seed / 2147483648 - 0.5) * 0.002;
  }
  if ('acceptWaveform' in target) {
    target.acceptWaveform(samples);
    while (!target.isEmpty()) target.pop();
    target.isDetected();
    return;
  }
  if (target.kind === 'online') {
    const r = target.recognizer;
    const s = r.createStream();
    s.acceptWaveform({ samples, sampleRate: 16000 });
    s.inputFinished();
    while (r.isReady(s)) r.decode(s);
    r.getResult(s);
    return;
  }
  const s = target.recognizer.createStream();
  s.acceptWaveform({ samples, sampleRate: 16000 });
  target.recognizer.decode(s);
  target.recognizer.getResult(s);
}

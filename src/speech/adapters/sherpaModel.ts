/**
 * sherpa-onnx (npm `sherpa-onnx-node`, prebuilt addon) with a model folder the operator provides.
 * What a folder holds is read from its ONNX files' own metadata (onnxMetadata.ts), the keys
 * sherpa-onnx itself reads, never from the folder's name:
 * - encoder*.onnx, decoder*.onnx, joiner*.onnx, tokens.txt: a transducer. The encoder's
 *   `model_type` (conformer, ebranchformer, lstm, zipformer, zipformer2) names it; an encoder with
 *   `T` and `decode_chunk_len` is streaming (OnlineRecognizer, partials), one without is offline
 *   (OfflineRecognizer behind our VAD).
 * - model*.onnx + tokens.txt: `model_type` `sense_voice_ctc` (SenseVoice), `paraformer`,
 *   `zipformer2` with `T`/`decode_chunk_len` (streaming Zipformer2 CTC), `vits` (TTS).
 * - Silero VAD: one .onnx file (path to the file), checked to be an ONNX model.
 * Anything else is refused with what was found and what was expected, so start-up can report it
 * and fall back to the embedded engines. sherpa-onnx ends the process (exit -1, or an uncaught
 * Ort::Exception) on a missing metadata key or a file it cannot parse, so these checks come first,
 * and the load itself is then tried in a child process (sherpaProbe.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { OnnxFormatError, readOnnxMetadata } from './onnxMetadata.js';

/** How hot words are written for the model (sherpa-onnx `modelingUnit`, `bpeVocab`). */
export interface HotwordUnits {
  modelingUnit: 'cjkchar' | 'bpe' | 'cjkchar+bpe';
  bpeVocab?: string;
}

export type SherpaModel =
  | {
      kind: 'online-transducer' | 'offline-transducer';
      /** The encoder's `model_type`. */
      modelType: string;
      encoder: string;
      decoder: string;
      joiner: string;
      tokens: string;
      /** How hot words reach this model; absent when its tokens are neither CJK characters nor BPE. */
      hotwords?: HotwordUnits;
    }
  | {
      kind: 'online-zipformer2-ctc' | 'offline-sense-voice' | 'offline-paraformer';
      model: string;
      tokens: string;
    }
  | { kind: 'tts-vits'; model: string; tokens: string; lexicon?: string; dataDir?: string };

export type SherpaModelKind = SherpaModel['kind'];

export class SherpaModelError extends Error {
  override name = 'SherpaModelError';
}

const TRANSDUCER_TYPES = new Set(['conformer', 'ebranchformer', 'lstm', 'zipformer', 'zipformer2']);

export function inspectSherpaModel(dir: string): SherpaModel {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new SherpaModelError(`model folder ${dir} does not exist`);
  const files = readdirSync(dir);
  const find = (re: RegExp) => {
    const hit = files
      .filter((f) => re.test(f))
      .sort((a, b) => Number(/int8/.test(a)) - Number(/int8/.test(b)));
    return hit.length ? join(dir, hit[0]!) : undefined;
  };
  const tokens = find(/^tokens\.txt$/);
  if (!tokens) throw new SherpaModelError(`model folder ${dir} has no tokens.txt`);
  const encoder = find(/^encoder.*\.onnx$/);
  const decoder = find(/^decoder.*\.onnx$/);
  const joiner = find(/^joiner.*\.onnx$/);
  if (encoder && decoder && joiner) {
    const meta = metadata(encoder);
    const modelType = meta.get('model_type');
    if (!modelType)
      throw new SherpaModelError(
        `${encoder} has no model_type in its metadata: export it with icefall's export-onnx scripts (sherpa-onnx needs it)`,
      );
    if (!TRANSDUCER_TYPES.has(modelType))
      throw new SherpaModelError(
        `${encoder} is a ${modelType} model (metadata model_type); a transducer encoder is one of ${[...TRANSDUCER_TYPES].join(', ')}`,
      );
    const decoderMeta = metadata(decoder);
    for (const key of ['vocab_size', 'context_size'])
      if (!decoderMeta.has(key))
        throw new SherpaModelError(
          `${decoder} has no ${key} in its metadata: it is not a transducer decoder`,
        );
    metadata(joiner);
    const streaming = meta.has('T') && meta.has('decode_chunk_len');
    return {
      kind: streaming ? 'online-transducer' : 'offline-transducer',
      modelType,
      encoder,
      decoder,
      joiner,
      tokens,
      hotwords: hotwordUnits(dir, tokens),
    };
  }
  const model = find(/^model.*\.onnx$/);
  if (!model)
    throw new SherpaModelError(
      `model folder ${dir} has neither encoder/decoder/joiner .onnx files (transducer) nor model.onnx`,
    );
  const meta = metadata(model);
  const modelType = meta.get('model_type');
  if (!modelType)
    throw new SherpaModelError(`${model} has no model_type in its metadata, so its kind is unknown`);
  if (modelType === 'sense_voice_ctc') return { kind: 'offline-sense-voice', model, tokens };
  if (modelType === 'paraformer') return { kind: 'offline-paraformer', model, tokens };
  if (modelType === 'zipformer2' && meta.has('T') && meta.has('decode_chunk_len'))
    return { kind: 'online-zipformer2-ctc', model, tokens };
  if (modelType === 'vits') {
    const dataDir = join(dir, 'espeak-ng-data');
    return {
      kind: 'tts-vits',
      model,
      tokens,
      lexicon: find(/^lexicon\.txt$/),
      dataDir: existsSync(dataDir) ? dataDir : undefined,
    };
  }
  throw new SherpaModelError(
    `${basename(model)} in ${dir} is a ${modelType} model (metadata model_type); smartcall runs sense_voice_ctc, paraformer, streaming zipformer2 CTC and transducers`,
  );
}

/** A Silero VAD file that exists and is an ONNX model (sherpa-onnx aborts on anything else). */
export function inspectSileroModel(path: string): string {
  if (!path) throw new SherpaModelError('vad.engine silero needs vad.sileroModel (the silero_vad.onnx file)');
  if (!existsSync(path) || !statSync(path).isFile())
    throw new SherpaModelError(`Silero VAD model ${path} does not exist`);
  metadata(path);
  return path;
}

function metadata(path: string): Map<string, string> {
  try {
    return readOnnxMetadata(path);
  } catch (err) {
    if (err instanceof OnnxFormatError) throw new SherpaModelError(err.message);
    throw err;
  }
}

/**
 * sherpa-onnx turns hot-word phrases into tokens by `modelingUnit`: `cjkchar` (Chinese characters
 * are tokens), `bpe` (needs the folder's bpe.vocab), or both. Read off tokens.txt and bpe.vocab.
 */
function hotwordUnits(dir: string, tokens: string): HotwordUnits | undefined {
  const bpeVocab = existsSync(join(dir, 'bpe.vocab')) ? join(dir, 'bpe.vocab') : undefined;
  const cjk = /^[\u3400-\u9fff]\s/mu.test(readFileSync(tokens, 'utf8'));
  if (cjk && bpeVocab) return { modelingUnit: 'cjkchar+bpe', bpeVocab };
  if (bpeVocab) return { modelingUnit: 'bpe', bpeVocab };
  if (cjk) return { modelingUnit: 'cjkchar' };
  return undefined;
}

/** The addon module sherpa-onnx-node (tests name a stand-in with the same surface). */
export const SHERPA_ADDON = 'sherpa-onnx-node';

/** Loads the native addon; a clear error when the platform package is missing. */
export function loadSherpa(moduleName = SHERPA_ADDON): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  try {
    return require(moduleName) as Record<string, unknown>;
  } catch (err) {
    throw new SherpaModelError(`sherpa-onnx-node cannot load: ${(err as Error).message}`);
  }
}

/**
 * sherpa-onnx (npm `sherpa-onnx-node`, prebuilt addon) with a model folder the operator provides.
 * The folder's files decide what it is:
 * - streaming transducer: encoder*.onnx, decoder*.onnx, joiner*.onnx, tokens.txt → OnlineRecognizer
 * - SenseVoice or Paraformer (offline): model*.onnx + tokens.txt → OfflineRecognizer, per utterance
 * - Silero VAD: a single silero*.onnx file (path to the file)
 * - TTS (VITS/Matcha/Kokoro family, VITS layout): model*.onnx, tokens.txt, optional lexicon.txt,
 *   espeak-ng-data/
 * Anything else is refused with a message naming what was expected, so start-up can report it and
 * fall back to the embedded engines.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export type SherpaModel =
  | { kind: 'online-transducer'; encoder: string; decoder: string; joiner: string; tokens: string }
  | { kind: 'offline-sense-voice' | 'offline-paraformer'; model: string; tokens: string }
  | { kind: 'tts-vits'; model: string; tokens: string; lexicon?: string; dataDir?: string };

export class SherpaModelError extends Error {
  override name = 'SherpaModelError';
}

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
  if (encoder && decoder && joiner) return { kind: 'online-transducer', encoder, decoder, joiner, tokens };
  const model = find(/^model.*\.onnx$/);
  if (model && existsSync(join(dir, 'espeak-ng-data')))
    return {
      kind: 'tts-vits',
      model,
      tokens,
      lexicon: find(/^lexicon\.txt$/),
      dataDir: join(dir, 'espeak-ng-data'),
    };
  if (model)
    return { kind: /sense/i.test(dir) ? 'offline-sense-voice' : 'offline-paraformer', model, tokens };
  throw new SherpaModelError(
    `model folder ${dir} has neither encoder/decoder/joiner .onnx files (streaming transducer) nor model.onnx (offline)`,
  );
}

/** Loads the native addon; a clear error when the platform package is missing. */
export function loadSherpa(): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  try {
    return require('sherpa-onnx-node') as Record<string, unknown>;
  } catch (err) {
    throw new SherpaModelError(`sherpa-onnx-node cannot load: ${(err as Error).message}`);
  }
}

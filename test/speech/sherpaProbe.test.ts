/**
 * The child-process probe of a sherpa-onnx model: a load that works, one that aborts the process
 * (as onnxruntime does on a bad file), one that calls exit() (as sherpa-onnx does on a missing
 * metadata key) and one that never finishes; only the child pays for each.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { SherpaModel } from '../../src/speech/adapters/sherpaModel.js';
import { probeSherpa } from '../../src/speech/adapters/sherpaProbe.js';
import { tempDir } from '../helpers/tempDir.js';
import { writeFakeSherpaAddon } from './fakeSherpaAddon.js';

const dir = tempDir('sherpa-probe-');
after(() => dir.remove());

const model: SherpaModel = {
  kind: 'online-transducer',
  modelType: 'zipformer2',
  encoder: '/models/zh/encoder.onnx',
  decoder: '/models/zh/decoder.onnx',
  joiner: '/models/zh/joiner.onnx',
  tokens: '/models/zh/tokens.txt',
};

function addon(name: string, constructorBody: string): string {
  const path = join(dir.path, `${name}.cjs`);
  writeFileSync(
    path,
    `class Loader { constructor() { ${constructorBody} } }\nmodule.exports = { OnlineRecognizer: Loader, Vad: Loader };\n`,
  );
  return path;
}

test('a model that loads and decodes in the child passes', async () => {
  await probeSherpa({ kind: 'asr', model, numThreads: 1 }, { addon: writeFakeSherpaAddon(dir.path) });
});

test('an abort in the child is reported with its last words, and the caller lives on', async () => {
  const aborting = addon(
    'aborting',
    `process.stderr.write("terminate called after throwing an instance of 'Ort::Exception'\\n  what():  Protobuf parsing failed.\\n"); process.abort();`,
  );
  await assert.rejects(
    probeSherpa({ kind: 'asr', model, numThreads: 1 }, { addon: aborting }),
    /online-transducer model \/models\/zh failed to load: the probe process died with SIGABRT: terminate called after throwing an instance of 'Ort::Exception' what\(\): {2}Protobuf parsing failed\./,
  );
  const exiting = addon(
    'exiting',
    `process.stderr.write('vocab_size does not exist in the metadata\\n'); process.exit(255);`,
  );
  await assert.rejects(
    probeSherpa({ kind: 'silero', path: '/models/silero_vad.onnx' }, { addon: exiting }),
    /Silero VAD model \/models\/silero_vad\.onnx failed to load: the probe process exited with code 255/,
  );
});

test('a load that never finishes is killed after the probe’s bound', async () => {
  const stuck = addon('stuck', 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);');
  const t0 = performance.now();
  await assert.rejects(
    probeSherpa({ kind: 'asr', model, numThreads: 1 }, { addon: stuck, timeoutMs: 500 }),
    /did not load within 500 ms \(probe process killed\)/,
  );
  assert.ok(performance.now() - t0 < 5000);
});

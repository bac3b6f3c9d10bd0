/**
 * Child process of the sherpa-onnx probe (sherpaProbe.ts): loads one model the way the decode
 * thread will, runs half a second of audio through it, prints `ok` and exits 0. If onnxruntime
 * aborts (an uncaught Ort::Exception) or sherpa-onnx exits on a missing metadata key, only this
 * process dies, and the parent reports why.
 */
import { loadSherpa } from './sherpaModel.js';
import type { SherpaProbeTarget } from './sherpaProbe.js';
import { createRecognizer, createSileroVad, exercise } from './sherpaRecognizer.js';

try {
  const target = JSON.parse(process.argv[2] ?? '') as SherpaProbeTarget & { addon: string };
  const sherpa = loadSherpa(target.addon);
  if (target.kind === 'silero') exercise(createSileroVad(sherpa, target.path));
  else exercise(createRecognizer(sherpa, target.model, target.numThreads));
  process.stdout.write('ok\n', () => process.exit(0));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`, () => process.exit(1));
}

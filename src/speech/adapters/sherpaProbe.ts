/**
 * Loads a sherpa-onnx model (or Silero VAD file) in a short-lived child process before smartcall
 * loads it itself. onnxruntime answers a file it cannot use with a C++ exception nobody catches
 * (SIGABRT), and sherpa-onnx calls exit() on a model that lacks a metadata key: in a child, that
 * costs the child, and the engine is reported down with the child's last words instead of
 * smartcall dying at start-up.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Clock, systemClock } from '../../clock/clock.js';
import { within } from '../../clock/within.js';
import { SHERPA_ADDON, type SherpaModel, SherpaModelError } from './sherpaModel.js';

export type SherpaProbeTarget =
  | { kind: 'asr'; model: SherpaModel; numThreads: number }
  | { kind: 'silero'; path: string };

export interface SherpaProbeOptions {
  /** Bound on loading and exercising the model, ms (default 120 s: big models take seconds). */
  timeoutMs?: number;
  /** The addon module (default sherpa-onnx-node; tests name a stand-in). */
  addon?: string;
  clock?: Clock;
}

const STDERR_KEEP = 4096;

/** Resolves when the model loads and decodes in a child; rejects with a SherpaModelError saying why not. */
export async function probeSherpa(
  target: SherpaProbeTarget,
  options: SherpaProbeOptions = {},
): Promise<void> {
  const what = target.kind === 'silero' ? `Silero VAD model ${target.path}` : describe(target.model);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(new URL('./sherpaProbeChild.js', import.meta.url)),
      JSON.stringify({ ...target, addon: options.addon ?? SHERPA_ADDON }),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < STDERR_KEEP) stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
    (resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    },
  );
  if (!(await within(exited, timeoutMs, options.clock ?? systemClock))) {
    child.kill('SIGKILL');
    await exited;
    throw new SherpaModelError(`${what} did not load within ${timeoutMs} ms (probe process killed)`);
  }
  const { code, signal, error } = await exited;
  if (error) throw new SherpaModelError(`${what} could not be probed: ${error.message}`);
  if (code === 0 && stdout.startsWith('ok')) return;
  const how = signal ? `died with ${signal}` : `exited with code ${code}`;
  const last = lastWords(stderr);
  throw new SherpaModelError(`${what} failed to load: the probe process ${how}${last ? `: ${last}` : ''}`);
}

function describe(model: SherpaModel): string {
  const file = 'encoder' in model ? model.encoder : model.model;
  return `sherpa-onnx ${model.kind} model ${file.replace(/\/[^/]*$/, '')}`;
}

/**
 * The child's stderr as one line, from its start: an abort prints the exception first
 * (`terminate called after throwing … what(): …`), and any stack dump after it.
 */
function lastWords(stderr: string): string {
  const text = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

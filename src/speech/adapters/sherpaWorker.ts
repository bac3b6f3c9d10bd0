/**
 * The sherpa-onnx decode thread: holds one engine's recognizer and every stream of it, so decoding
 * (a few ms per 20 ms frame per call for a streaming zipformer) never runs on the media event loop.
 * Messages follow the pool protocol (src/workers/workerProtocol.ts); the pool has one thread per
 * engine, so a stream's requests all reach the thread that holds its state, in order.
 *
 * Native code runs here only after the model was loaded and exercised in a child process
 * (sherpaProbe.ts): an abort in native code ends the whole process, thread or not.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Resampler } from '../../media/resampler.js';
import type { PoolMessage, WorkerMessage } from '../../workers/workerProtocol.js';
import type { AsrResultEvent } from '../asr.js';
import { loadSherpa, type SherpaModel } from './sherpaModel.js';
import { SherpaOnlineSession, to16k } from './sherpaOnlineSession.js';
import { createRecognizer, type OnlineRecognizerLike, type Recognizer } from './sherpaRecognizer.js';

export interface SherpaWorkerData {
  model: SherpaModel;
  numThreads: number;
  /** The addon module (sherpa-onnx-node; tests name a stand-in). */
  addon: string;
}

export type SherpaRequest =
  | { op: 'open'; id: number; pauseMs?: number; hotwords?: string[] }
  | { op: 'write'; id: number; samples: Int16Array }
  | { op: 'finish'; id: number }
  | { op: 'close'; id: number }
  | { op: 'recognize'; samples: Int16Array; hotwords?: string[] };

export interface SherpaReply {
  events: AsrResultEvent[];
  /** `recognize`: the utterance's text ('' for nothing). */
  text?: string;
}

const data = workerData as SherpaWorkerData;
const port = parentPort!;
const send = (m: WorkerMessage<SherpaReply>) => port.postMessage(m);

let sherpa: Record<string, unknown>;
let main: Recognizer;
/** Streaming recognizers built with a hot-word list (sherpa takes them per recognizer), by list. */
const withHotwords = new Map<string, OnlineRecognizerLike>();
const sessions = new Map<number, SherpaOnlineSession>();

try {
  sherpa = loadSherpa(data.addon);
  main = createRecognizer(sherpa, data.model, data.numThreads);
  send({ kind: 'ready' });
} catch (err) {
  send({ kind: 'failed', error: (err as Error).message });
}

port.on('message', (m: PoolMessage<SherpaRequest>) => {
  if (m.kind === 'close') {
    port.close();
    return;
  }
  if (m.kind !== 'request') return;
  try {
    send({ kind: 'done', id: m.id, result: handle(m.payload) });
  } catch (err) {
    send({ kind: 'error', id: m.id, error: (err as Error).message });
  }
});

function handle(req: SherpaRequest): SherpaReply {
  switch (req.op) {
    case 'open': {
      if (main.kind !== 'online') throw new Error('this model is not a streaming model');
      sessions.set(req.id, new SherpaOnlineSession(onlineFor(req.hotwords), req.pauseMs));
      return { events: [] };
    }
    case 'write':
      return { events: session(req.id).write(req.samples) };
    case 'finish': {
      const events = session(req.id).finish();
      sessions.delete(req.id);
      return { events };
    }
    case 'close':
      sessions.delete(req.id);
      return { events: [] };
    case 'recognize': {
      if (main.kind !== 'offline') throw new Error('this model is not an offline model');
      const r = main.recognizer;
      const hot = hotwordLines(req.hotwords);
      const stream = hot ? r.createStream(hot.join('/')) : r.createStream();
      stream.acceptWaveform({ samples: to16k(req.samples, new Resampler(8000, 16000)), sampleRate: 16000 });
      r.decode(stream);
      return { events: [], text: r.getResult(stream).text.trim() };
    }
  }
}

function session(id: number): SherpaOnlineSession {
  const s = sessions.get(id);
  if (!s) throw new Error(`sherpa stream ${id} is not open (its decode thread was replaced)`);
  return s;
}

/** Phrases as sherpa-onnx hot words (one per entry, no '/' inside), or null when none apply. */
function hotwordLines(hotwords: string[] | undefined): string[] | null {
  if (!hotwords?.length || !('hotwords' in data.model) || !data.model.hotwords) return null;
  const lines = hotwords.map((p) => p.replace(/[/\r\n]+/g, ' ').trim()).filter(Boolean);
  return lines.length ? lines : null;
}

function onlineFor(hotwords: string[] | undefined): OnlineRecognizerLike {
  const main0 = main as Extract<Recognizer, { kind: 'online' }>;
  const lines = hotwordLines(hotwords);
  if (!lines) return main0.recognizer;
  const key = lines.join('\n');
  let r = withHotwords.get(key);
  if (!r) {
    // sherpa reads the file while building the recognizer; nothing needs it afterwards.
    const dir = mkdtempSync(join(tmpdir(), 'smartcall-hotwords-'));
    try {
      const file = join(dir, 'hotwords.txt');
      writeFileSync(file, `${key}\n`);
      const built = createRecognizer(sherpa, data.model, data.numThreads, file);
      r = (built as Extract<Recognizer, { kind: 'online' }>).recognizer;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    withHotwords.set(key, r);
  }
  return r;
}

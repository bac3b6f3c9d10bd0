/**
 * sherpa-onnx recognizers as smartcall ASR engines. The model lives in one decode thread per engine
 * (sherpaWorker.ts): the call's 8 kHz frames are posted to it and its results come back as events,
 * so decoding never holds up the media event loop. Streaming models report partials and end
 * sentences on the call's PauseTime; offline models (transducer, SenseVoice, Paraformer) sit behind
 * our VAD segmentation like the embedded phrase recognizer.
 *
 * The model must have passed the child-process probe (sherpaProbe.ts) first: native code that
 * aborts in a thread still ends the process.
 */
import { Worker } from 'node:worker_threads';
import { type Clock, systemClock } from '../../clock/clock.js';
import type { Logger } from '../../observability/logger.js';
import { WorkerPool } from '../../workers/workerPool.js';
import type {
  AsrEngine,
  AsrEvent,
  AsrStream,
  AsrStreamOptions,
  Recognition,
  UtteranceRecognizer,
} from '../asr.js';
import { SegmentedAsrStream } from '../segmentedAsrStream.js';
import type { Vad } from '../vad.js';
import { SHERPA_ADDON, type SherpaModel } from './sherpaModel.js';
import type { SherpaReply, SherpaRequest, SherpaWorkerData } from './sherpaWorker.js';

export interface SherpaAsrEngineOptions {
  /** An inspected model folder (inspectSherpaModel) that passed probeSherpa. */
  model: SherpaModel;
  numThreads?: number;
  /** Detector for offline models' segmentation (one per stream). */
  createVad: () => Vad;
  /** Bound on a stream's end and on one offline recognition, ms (default 5000). */
  timeoutMs?: number;
  /** The addon module (default sherpa-onnx-node; tests name a stand-in). */
  addon?: string;
  log?: Logger;
  clock?: Clock;
}

/**
 * How long a frame may wait in the decode thread before the stream counts as fallen behind the
 * call, ms. Measured in time, not frames: a fresh stream is handed up to 10 s of audio at once (the
 * replay after a failure), which a decoder that keeps up works through in a moment.
 */
export const MAX_BEHIND_MS = 5000;

type Pool = WorkerPool<SherpaRequest, SherpaReply>;

/** Stream ids, unique in the process: every view of an engine (withHotwords) shares its thread. */
let nextStreamId = 1;

export class SherpaAsrEngine implements AsrEngine {
  readonly name = 'sherpa';
  readonly model: SherpaModel;
  readonly #pool: Pool;
  readonly #options: SherpaAsrEngineOptions;
  readonly #hotwords: string[] | undefined;
  readonly #owner: boolean;

  constructor(options: SherpaAsrEngineOptions, shared?: { pool: Pool; hotwords: string[] }) {
    this.#options = options;
    this.model = options.model;
    this.#hotwords = shared?.hotwords;
    this.#owner = !shared;
    if (shared) {
      this.#pool = shared.pool;
      return;
    }
    const workerData: SherpaWorkerData = {
      model: options.model,
      numThreads: options.numThreads ?? 1,
      addon: options.addon ?? SHERPA_ADDON,
    };
    this.#pool = new WorkerPool({
      name: 'sherpa-onnx decoder',
      size: 1,
      timeoutMs: 0,
      clock: options.clock,
      log: options.log,
      spawn: () => ({ worker: new Worker(new URL('./sherpaWorker.js', import.meta.url), { workerData }) }),
    });
  }

  /** Resolves once the decode thread holds the model; rejects with why it could not. */
  ready(): Promise<void> {
    return this.#pool.ready();
  }

  /** The same model and thread, with an ASR model's phrases as hot words for its streams. */
  withHotwords(phrases: string[]): SherpaAsrEngine {
    return new SherpaAsrEngine(this.#options, { pool: this.#pool, hotwords: phrases });
  }

  createStream(options: AsrStreamOptions): AsrStream {
    const timeoutMs = this.#options.timeoutMs ?? 5000;
    if (this.model.kind === 'online-transducer' || this.model.kind === 'online-zipformer2-ctc')
      return new SherpaWorkerStream(
        this.#pool,
        nextStreamId++,
        options,
        timeoutMs,
        this.#options.clock ?? systemClock,
        this.#hotwords,
      );
    return new SegmentedAsrStream({
      ...options,
      recognizer: new SherpaOfflineRecognizer(this.#pool, timeoutMs, this.#hotwords),
      vad: this.#options.createVad(),
      timeoutMs,
    });
  }

  async close(): Promise<void> {
    if (this.#owner) await this.#pool.close();
  }
}

class SherpaOfflineRecognizer implements UtteranceRecognizer {
  readonly name = 'sherpa-offline';
  readonly #pool: Pool;
  readonly #timeoutMs: number;
  readonly #hotwords: string[] | undefined;
  constructor(pool: Pool, timeoutMs: number, hotwords: string[] | undefined) {
    this.#pool = pool;
    this.#timeoutMs = timeoutMs;
    this.#hotwords = hotwords;
  }
  async recognize(samples: Int16Array, signal?: AbortSignal): Promise<Recognition | null> {
    const copy = samples.slice();
    const reply = await this.#pool.run(
      { op: 'recognize', samples: copy, hotwords: this.#hotwords },
      { signal, transfer: [copy.buffer], timeoutMs: this.#timeoutMs * 2 },
    );
    return reply.text ? { text: reply.text, confidence: 1 } : null;
  }
  async close(): Promise<void> {}
}

/** A streaming recognition whose state lives in the decode thread; events come back in order. */
class SherpaWorkerStream implements AsrStream {
  readonly #pool: Pool;
  readonly #id: number;
  readonly #onEvent: (e: AsrEvent) => void;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  #positionMs = 0;
  /** When each write the thread has not answered yet was sent (it answers them in order). */
  readonly #unanswered: number[] = [];
  #closed = false;
  #failed = false;

  constructor(
    pool: Pool,
    id: number,
    options: AsrStreamOptions,
    timeoutMs: number,
    clock: Clock,
    hotwords?: string[],
  ) {
    this.#pool = pool;
    this.#clock = clock;
    this.#id = id;
    this.#onEvent = options.onEvent;
    this.#timeoutMs = timeoutMs;
    this.#send({ op: 'open', id, pauseMs: options.pauseMs, hotwords });
  }

  write(frame: Int16Array): void {
    if (this.#closed) return;
    this.#positionMs += frame.length / 8;
    const now = this.#clock.now();
    const oldest = this.#unanswered[0];
    if (oldest !== undefined && now - oldest > MAX_BEHIND_MS) {
      this.#fail(`the sherpa-onnx decoder is over ${MAX_BEHIND_MS} ms behind the call`);
      return;
    }
    const samples = frame.slice();
    this.#unanswered.push(now);
    this.#send({ op: 'write', id: this.#id, samples }, [samples.buffer], () => this.#unanswered.shift());
  }

  async finish(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      const reply = await this.#pool.run({ op: 'finish', id: this.#id }, { timeoutMs: this.#timeoutMs });
      if (!this.#failed) for (const e of reply.events) this.#onEvent(e);
    } catch (err) {
      const timeout = (err as Error).name === 'TimeoutError';
      this.#reject(timeout ? 'timeout' : 'error', (err as Error).message);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#send({ op: 'close', id: this.#id });
  }

  #send(req: SherpaRequest, transfer: ArrayBuffer[] = [], settled?: () => void): void {
    this.#pool.run(req, { transfer }).then(
      (reply) => {
        settled?.();
        if (!this.#failed) for (const e of reply.events) this.#onEvent(e);
      },
      (err: Error) => {
        settled?.();
        if (req.op !== 'close') this.#fail(err.message);
      },
    );
  }

  #fail(detail: string): void {
    if (this.#failed) return;
    this.#closed = true;
    this.#reject('error', detail, true);
    this.#send({ op: 'close', id: this.#id });
  }

  #reject(reason: 'error' | 'timeout', detail: string, fatal = false): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#onEvent({
      type: 'rejected',
      reason,
      beginMs: 0,
      endMs: this.#positionMs,
      detail,
      ...(fatal && { fatal: true as const }),
    });
  }
}

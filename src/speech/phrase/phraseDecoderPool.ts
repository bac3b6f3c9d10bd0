/**
 * The main-thread side of the phrase decoder workers: starts them (each loads the acoustic model
 * into a first decoder, ≈ 0.3 s), spreads requests over them (fewest in flight first) and
 * answers each request exactly once: with the worker's result, an error, or an abort. A worker
 * that dies is replaced; its requests fail with an error rather than hanging.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../observability/logger.js';
import { acousticModelDir } from './acousticModel.js';
import type { CompiledGrammar } from './phraseGrammar.js';
import type { RawRecognition, RecognizeRequest, WorkerReply } from './phraseWorker.js';

export interface PhraseDecoderPoolOptions {
  /** Decoder threads (default 1; each holds ≈ 60 MB). */
  workers?: number;
  /** Grammar decoders kept warm per worker (default 8). */
  maxGrammars?: number;
  log?: Logger;
}

interface Pending {
  resolve(result: RawRecognition): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  started: boolean;
  ready: Promise<void>;
  inFlight: Map<number, Pending>;
}

export class PhraseDecoderPool {
  readonly #options: Required<Omit<PhraseDecoderPoolOptions, 'log'>>;
  readonly #log: Logger | undefined;
  readonly #slots: Slot[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: PhraseDecoderPoolOptions = {}) {
    this.#options = { workers: options.workers ?? 1, maxGrammars: options.maxGrammars ?? 8 };
    this.#log = options.log;
    for (let i = 0; i < this.#options.workers; i++) this.#slots.push(this.#spawn());
  }

  /** Resolves when every worker has loaded the model; rejects with the reason one could not. */
  async ready(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.ready));
  }

  async recognize(
    grammar: CompiledGrammar,
    samples: Int16Array,
    signal?: AbortSignal,
  ): Promise<RawRecognition> {
    if (this.#closed) throw new Error('phrase decoder pool is closed');
    const slot = this.#slots.reduce((a, b) => (b.inFlight.size < a.inFlight.size ? b : a));
    await slot.ready;
    const id = this.#nextId++;
    return new Promise<RawRecognition>((resolve, reject) => {
      const onAbort = () => {
        slot.inFlight.delete(id);
        reject(new Error('recognition aborted'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      slot.inFlight.set(id, {
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      const copy = samples.slice();
      slot.worker.postMessage({ id, grammar, samples: copy } satisfies RecognizeRequest, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(
      this.#slots.map(async (slot) => {
        for (const p of slot.inFlight.values()) p.reject(new Error('phrase decoder pool closed'));
        slot.inFlight.clear();
        await slot.worker.terminate();
      }),
    );
  }

  #spawn(): Slot {
    const worker = new Worker(new URL('./phraseWorker.js', import.meta.url), {
      workerData: { modelDir: acousticModelDir(), maxGrammars: this.#options.maxGrammars },
    });
    const inFlight = new Map<number, Pending>();
    let markReady!: () => void;
    let markFailed!: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    ready.catch(() => {}); // observed through ready() / recognize()
    const slot: Slot = { worker, ready, inFlight, started: false };
    worker.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'ready') {
        slot.started = true;
        markReady();
        return;
      }
      if (reply.kind === 'failed') {
        markFailed(new Error(`phrase decoder failed to start: ${reply.error}`));
        return;
      }
      const pending = inFlight.get(reply.id);
      if (!pending) return;
      inFlight.delete(reply.id);
      if (reply.kind === 'result') pending.resolve(reply.result);
      else pending.reject(new Error(reply.error));
    });
    worker.on('error', (err) => {
      this.#log?.error({ err: err.message }, 'phrase decoder worker failed');
      markFailed(err);
    });
    worker.on('exit', (code) => {
      for (const p of inFlight.values()) p.reject(new Error(`phrase decoder worker exited (${code})`));
      inFlight.clear();
      markFailed(new Error(`phrase decoder worker exited (${code})`));
      // Replace a worker that died after starting; one that never started would only die again.
      if (this.#closed || !slot.started) return;
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots[index] = this.#spawn();
    });
    return slot;
  }
}

/**
 * Owner of the espeak-ng worker threads (see espeakWorker.ts): a {@link WorkerPool} that sends each
 * SSML line to the least busy thread and returns its 22050 Hz PCM, and replaces a thread that dies
 * or gets stuck, so one crash costs the line it was speaking rather than every later prompt.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Clock } from '../../clock/clock.js';
import {
  type WorkerLink,
  WorkerPool,
  type WorkerPoolLoad,
  type WorkerPoolStats,
} from '../../workers/workerPool.js';
import type { EspeakRequest } from './espeakWorker.js';

export const ESPEAK_RATE = 22050;

export interface EspeakEngineOptions {
  /**
   * Bound on one line, ms (default 10 s): a warm thread speaks a sentence in tens of ms, so a line
   * this late means a stuck thread, which is then replaced.
   */
  timeoutMs?: number;
  clock?: Clock;
}

export class EspeakEngine {
  readonly #pool: WorkerPool<EspeakRequest, Int16Array>;

  constructor(workers = 1, options: EspeakEngineOptions = {}) {
    this.#pool = new WorkerPool({
      name: 'espeak-ng',
      size: workers,
      timeoutMs: options.timeoutMs ?? 10_000,
      clock: options.clock,
      spawn: spawnEspeakWorker,
    });
  }

  /** Resolves once every thread is warm; rejects with the reason one is not. */
  ready(): Promise<void> {
    return this.#pool.ready();
  }

  /** Synthesises one SSML line (mono 16-bit PCM at {@link ESPEAK_RATE}). */
  synthesize(ssml: string, signal?: AbortSignal): Promise<Int16Array> {
    return this.#pool.run({ ssml }, { signal });
  }

  get stats(): WorkerPoolStats {
    return this.#pool.stats;
  }

  get load(): WorkerPoolLoad {
    return this.#pool.load;
  }

  /** Fails the lines not yet spoken and terminates the threads. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}

function spawnEspeakWorker(): WorkerLink<EspeakRequest> {
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL('./espeakWorker.js', import.meta.url), {
    workerData: { port: port2, signal },
    transferList: [port2],
  });
  return {
    worker,
    // Between lines the thread sleeps in Atomics.wait, not in its event loop: it polls this port
    // when woken through the shared signal.
    post(message, transfer) {
      port1.postMessage(message, transfer);
      Atomics.store(signal, 0, 1);
      Atomics.notify(signal, 0);
    },
    dispose() {
      port1.close();
    },
  };
}

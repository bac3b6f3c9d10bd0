/**
 * The main-thread side of the phrase decoder workers: a {@link WorkerPool} of threads that each
 * load the acoustic model into a first decoder (≈ 0.3 s), take requests fewest-in-flight first,
 * and answer each exactly once: with the worker's result, an error, a timeout or an abort. A
 * worker that dies or gets stuck is replaced; its requests fail with an error rather than hanging.
 */
import { Worker } from 'node:worker_threads';
import type { Clock } from '../../clock/clock.js';
import type { Logger } from '../../observability/logger.js';
import { WorkerPool, type WorkerPoolLoad, type WorkerPoolStats } from '../../workers/workerPool.js';
import { acousticModelDir } from './acousticModel.js';
import type { CompiledGrammar } from './phraseGrammar.js';
import { TemplateBuilder } from './phraseTemplates.js';
import type { RawRecognition, RecognizeRequest, TemplateRules } from './phraseWorker.js';
import type { TemplateBank } from './templateMatcher.js';

export interface PhraseDecoderPoolOptions {
  /** Decoder threads (default 1; each holds ≈ 60 MB). */
  workers?: number;
  /**
   * Nice value of the decoder threads (default 10; 0 leaves them as the process): on Linux they then
   * give way to the main thread, so more decoders can use idle cores without delaying a call's
   * audio or barge-in (threadPriority.ts).
   */
  niceness?: number;
  /** Grammar decoders kept warm per worker (default 8). */
  maxGrammars?: number;
  /**
   * Bound on one recognition, ms (default 30 s): decoding costs a few hundredths of the audio's
   * length, so only a stuck worker gets near it (and is then replaced). Callers that need an
   * answer sooner pass an AbortSignal.
   */
  timeoutMs?: number;
  clock?: Clock;
  log?: Logger;
}

export class PhraseDecoderPool {
  readonly #pool: WorkerPool<RecognizeRequest, RawRecognition>;
  /** Phrase lists' TTS templates (phraseTemplates.ts), shared by every recognizer of the pool. */
  readonly templates = new TemplateBuilder();

  constructor(options: PhraseDecoderPoolOptions = {}) {
    const workerData = {
      modelDir: acousticModelDir(),
      maxGrammars: options.maxGrammars ?? 8,
      niceness: options.niceness ?? 10,
    };
    this.#pool = new WorkerPool({
      name: 'phrase decoder',
      size: options.workers ?? 1,
      // A speculative recognition dropped before its turn (the caller spoke on) is never decoded.
      perWorker: 1,
      timeoutMs: options.timeoutMs ?? 30_000,
      clock: options.clock,
      log: options.log,
      spawn: () => ({ worker: new Worker(new URL('./phraseWorker.js', import.meta.url), { workerData }) }),
    });
  }

  /** Resolves when every worker has loaded the model; rejects with the reason one could not. */
  ready(): Promise<void> {
    return this.#pool.ready();
  }

  recognize(
    grammar: CompiledGrammar,
    samples: Int16Array,
    signal?: AbortSignal,
    templates?: TemplateBank | null,
    rules?: TemplateRules,
  ): Promise<RawRecognition> {
    const copy = samples.slice();
    return this.#pool.run(
      { grammar, samples: copy, templates: templates ?? undefined, rules },
      { signal, transfer: [copy.buffer] },
    );
  }

  get stats(): WorkerPoolStats {
    return this.#pool.stats;
  }

  get load(): WorkerPoolLoad {
    return this.#pool.load;
  }

  async close(): Promise<void> {
    await Promise.all([this.#pool.close(), this.templates.close()]);
  }
}

/**
 * An {@link AsrStream} for per-utterance engines: our VAD and {@link Endpointer} cut the audio into
 * sentences, and each sentence (with a little audio before and after, so the recognizer hears its
 * onset and release) goes to the recognizer. Results come out in sentence order; a recognizer that
 * does not answer within `timeoutMs` yields a `timeout` rejection instead of holding up the call.
 */
import { type Clock, systemClock } from '../clock/clock.js';
import { within } from '../clock/within.js';
import type { AsrEvent, AsrStream, AsrStreamOptions, Recognition, UtteranceRecognizer } from './asr.js';
import { Endpointer } from './endpointer.js';
import type { Vad } from './vad.js';

export interface SegmentedAsrStreamOptions extends AsrStreamOptions {
  recognizer: UtteranceRecognizer;
  /** The stream's own detector; the stream closes it. */
  vad: Vad;
  /** Audio kept before the detected start (default 200 ms). */
  preRollMs?: number;
  /** Audio kept after the last speech frame (default 100 ms). */
  postRollMs?: number;
  /** A sentence is cut here even without a pause (default 15000 ms). */
  maxUtteranceMs?: number;
  /** Bound on one recognition (default 3000 ms). */
  timeoutMs?: number;
  /** Times the recognition bound (default the system clock). */
  clock?: Clock;
}

const FRAME_MS = 20;
/** Silence after which recognition starts speculatively (the shortest PauseTime is 300 ms). */
const SPECULATE_AFTER_MS = 160;

type Outcome = Recognition | null | 'timeout' | Error;
const SAMPLES_PER_MS = 8;

export class SegmentedAsrStream implements AsrStream {
  readonly #recognizer: UtteranceRecognizer;
  readonly #vad: Vad;
  readonly #endpointer: Endpointer;
  readonly #onEvent: (e: AsrEvent) => void;
  readonly #preRollMs: number;
  readonly #postRollMs: number;
  readonly #maxUtteranceMs: number;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  /** Frames from `#historyStartMs` on; trimmed to the pre-roll while nobody speaks. */
  #history: Int16Array[] = [];
  #historyStartMs = 0;
  #nowMs = 0;
  #sentenceStartMs = 0;
  /** Where a sentence that ran past `maxUtteranceMs` was cut; its remainder starts here. */
  #cutMs = Number.NEGATIVE_INFINITY;
  #pending: { beginMs: number; endMs: number; waitUntilMs: number } | null = null;
  /** End of the last speech frame heard. */
  #lastSpeechEndMs = 0;
  /**
   * Recognition started speculatively once a pause began: by the time the pause is long enough to
   * end the sentence (PauseTime, 300–1200 ms), the words are usually known, so the end of speech
   * costs no recognition time. Discarded when the speaker goes on.
   */
  #speculation: { beginMs: number; endMs: number; outcome: Promise<Outcome>; abort: AbortController } | null =
    null;
  #chain: Promise<void> = Promise.resolve();
  readonly #abort = new AbortController();
  #closed = false;

  constructor(options: SegmentedAsrStreamOptions) {
    this.#recognizer = options.recognizer;
    this.#vad = options.vad;
    this.#onEvent = options.onEvent;
    this.#preRollMs = options.preRollMs ?? 200;
    this.#postRollMs = options.postRollMs ?? 100;
    this.#maxUtteranceMs = options.maxUtteranceMs ?? 15000;
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#clock = options.clock ?? systemClock;
    this.#endpointer = new Endpointer({ pauseMs: options.pauseMs ?? 800 });
  }

  write(frame: Int16Array, heard?: boolean): void {
    if (this.#closed) return;
    const at = this.#nowMs;
    this.#history.push(frame.slice());
    this.#nowMs += frame.length / SAMPLES_PER_MS;
    const speech = heard ?? this.#vad.process(frame) >= this.#vad.threshold;
    if (speech) {
      this.#lastSpeechEndMs = at + frame.length / SAMPLES_PER_MS;
      if (this.#speculation) this.#dropSpeculation();
    }
    for (const e of this.#endpointer.push(at, speech)) {
      if (e.type === 'speech-start') this.#sentenceStartMs = e.beginMs;
      if (e.type === 'speech-end' && e.endMs > this.#cutMs)
        this.#sentence(Math.max(e.beginMs, this.#cutMs), e.endMs);
    }
    const openSince = Math.max(this.#sentenceStartMs, this.#cutMs);
    if (this.#endpointer.inSpeech && this.#nowMs - openSince > this.#maxUtteranceMs) {
      // Nobody talks this long without a pause on a phone call; cut so memory and latency stay bounded.
      this.#sentence(openSince, this.#nowMs);
      this.#cutMs = this.#nowMs;
    }
    this.#flushPending(false);
    if (!this.#endpointer.inSpeech && this.#pending === null) this.#trimHistory();
    this.#maybeSpeculate();
  }

  #maybeSpeculate(): void {
    if (!this.#endpointer.inSpeech || this.#speculation || this.#closed) return;
    if (this.#nowMs - this.#lastSpeechEndMs < Math.max(SPECULATE_AFTER_MS, this.#postRollMs)) return;
    const beginMs = Math.max(this.#sentenceStartMs, this.#cutMs);
    const endMs = this.#lastSpeechEndMs;
    const samples = this.#slice(
      Math.max(this.#historyStartMs, beginMs - this.#preRollMs),
      endMs + this.#postRollMs,
    );
    const abort = new AbortController();
    this.#speculation = { beginMs, endMs, abort, outcome: this.#run(samples, abort) };
  }

  #dropSpeculation(): void {
    this.#speculation?.abort.abort();
    this.#speculation = null;
  }

  async finish(): Promise<void> {
    if (this.#closed) return;
    if (this.#endpointer.inSpeech) {
      // The audio ended mid-sentence: whatever was said so far is the sentence.
      this.#sentence(Math.max(this.#sentenceStartMs, this.#cutMs), this.#nowMs);
    }
    this.#flushPending(true);
    await this.#chain;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#dropSpeculation();
    this.#abort.abort();
    this.#vad.close();
    this.#history = [];
  }

  #sentence(beginMs: number, endMs: number): void {
    this.#flushPending(true);
    this.#pending = { beginMs, endMs, waitUntilMs: endMs + this.#postRollMs };
  }

  /** Sends the pending sentence once its post-roll has arrived (or at once when `force`). */
  #flushPending(force: boolean): void {
    const p = this.#pending;
    if (!p || (!force && this.#nowMs < p.waitUntilMs)) return;
    this.#pending = null;
    const from = Math.max(this.#historyStartMs, p.beginMs - this.#preRollMs);
    const to = Math.min(this.#nowMs, p.waitUntilMs);
    const spec = this.#speculation;
    this.#speculation = null;
    if (spec && spec.beginMs === p.beginMs && spec.endMs === p.endMs) {
      this.#dropHistoryBefore(to);
      this.#chain = this.#chain.then(() => this.#report(spec.outcome, p.beginMs, p.endMs));
      return;
    }
    spec?.abort.abort();
    const samples = this.#slice(from, to);
    this.#dropHistoryBefore(to);
    this.#chain = this.#chain.then(() => this.#recognize(samples, p.beginMs, p.endMs));
  }

  #recognize(samples: Int16Array, beginMs: number, endMs: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.#report(this.#run(samples, new AbortController()), beginMs, endMs);
  }

  /** Runs one recognition, bounded by the stream's timeout; never rejects. */
  async #run(samples: Int16Array, abort: AbortController): Promise<Outcome> {
    const onAbort = () => abort.abort();
    this.#abort.signal.addEventListener('abort', onAbort);
    try {
      const recognition = this.#recognizer.recognize(samples, abort.signal);
      if (!(await within(recognition, this.#timeoutMs, this.#clock))) {
        abort.abort();
        recognition.catch(() => {}); // its late end, if any, is of no interest
        return 'timeout';
      }
      return await recognition;
    } catch (err) {
      return err as Error;
    } finally {
      this.#abort.signal.removeEventListener('abort', onAbort);
    }
  }

  async #report(outcome: Promise<Outcome>, beginMs: number, endMs: number): Promise<void> {
    const o = await outcome;
    if (this.#closed) return;
    if (o === 'timeout') this.#onEvent({ type: 'rejected', reason: 'timeout', beginMs, endMs });
    else if (o instanceof Error)
      this.#onEvent({ type: 'rejected', reason: 'error', beginMs, endMs, detail: o.message });
    else if (o === null) this.#onEvent({ type: 'rejected', reason: 'no-match', beginMs, endMs });
    else this.#onEvent({ type: 'final', text: o.text, confidence: o.confidence, beginMs, endMs });
  }

  #slice(fromMs: number, toMs: number): Int16Array {
    const out = new Int16Array(Math.max(0, Math.round((toMs - fromMs) * SAMPLES_PER_MS)));
    let at = this.#historyStartMs;
    let written = 0;
    for (const frame of this.#history) {
      const frameEnd = at + frame.length / SAMPLES_PER_MS;
      if (frameEnd > fromMs && at < toMs) {
        const a = Math.max(0, Math.round((fromMs - at) * SAMPLES_PER_MS));
        const b = Math.min(frame.length, Math.round((toMs - at) * SAMPLES_PER_MS));
        const part = frame.subarray(a, b);
        out.set(part.subarray(0, out.length - written), written);
        written += Math.min(part.length, out.length - written);
      }
      at = frameEnd;
    }
    return out.subarray(0, written);
  }

  #dropHistoryBefore(ms: number): void {
    while (this.#history.length > 0) {
      const len = this.#history[0]!.length / SAMPLES_PER_MS;
      if (this.#historyStartMs + len > ms - this.#preRollMs) break;
      this.#history.shift();
      this.#historyStartMs += len;
    }
  }

  #trimHistory(): void {
    // Keep the pre-roll plus the minimum speech a sentence start may reach back to.
    const keepMs = this.#preRollMs + 200 + FRAME_MS;
    while (this.#history.length > 0 && this.#nowMs - this.#historyStartMs > keepMs) {
      const len = this.#history[0]!.length / SAMPLES_PER_MS;
      if (this.#nowMs - (this.#historyStartMs + len) < keepMs) break;
      this.#history.shift();
      this.#historyStartMs += len;
    }
  }
}

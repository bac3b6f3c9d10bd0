/**
 * A call's recognition through a configured engine (NLS, FunASR, Vosk, sherpa-onnx), kept alive
 * through the engine's failures:
 *
 * - A stream that fails (connection lost, task failed, the server stopped taking audio) is replaced
 *   by a fresh one on the same engine (a new connection and task), and the audio since the last
 *   answered sentence (at most {@link REPLAY_MS}) is sent to it again, so a sentence cut by the
 *   failure is still recognised. The failure itself is no sentence: nothing is reported for it.
 * - {@link ResilientAsrStreamOptions.maxFailures} failures in a row with no result between them
 *   mean the engine stays down: the rest of the call (from the same replayed audio) goes to the
 *   embedded engine, with a log line (the call's logger carries its CallId), and `onDown` tells
 *   the engine's owner.
 * - A sentence the caller's endpointer ended ({@link AsrStream.sentenceEnded}) that gets no answer
 *   within `timeoutMs` is `rejected` (`timeout`). If the engine said nothing at all since that
 *   sentence began, it is stalled: the stream counts as failed, as above.
 *
 * Offsets are those of this stream (first sample written = 0), whichever inner stream produced them.
 */

import { type Clock, systemClock } from '../clock/clock.js';
import { Downsampler2x } from '../media/wideband.js';
import type { Logger } from '../observability/logger.js';
import type { AsrEvent, AsrStream, AsrStreamOptions } from './asr.js';

/** Audio kept for a fresh stream to hear again: what followed the last answered sentence, ms. */
export const REPLAY_MS = 10_000;
/** An answer that ends this close before a sentence began still counts as its answer. */
const SLACK_MS = 150;

export interface ResilientAsrStreamOptions extends AsrStreamOptions {
  /** The configured engine's name (logs). */
  engine: string;
  /** A fresh stream on the configured engine (a new connection and task). */
  open(options: AsrStreamOptions): AsrStream;
  /** A stream on the embedded engine for the same choice. */
  fallback(options: AsrStreamOptions): AsrStream;
  /** The engine stayed down for this call (after the fallback is logged). */
  onDown?(detail: string): void;
  /** How long a sentence may wait for its answer, ms. */
  timeoutMs: number;
  /** Failures in a row, without a result between them, before falling back (default 2). */
  maxFailures?: number;
  clock?: Clock;
}

interface Expected {
  beginMs: number;
  endMs: number;
  timer: unknown;
}

export class ResilientAsrStream implements AsrStream {
  readonly #o: ResilientAsrStreamOptions;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  #inner: AsrStream;
  /** Which inner stream is current: events of replaced ones are ignored. */
  #generation = 0;
  /** Where the current inner stream's offset 0 is, in this stream's ms. */
  #base = 0;
  #positionMs = 0;
  /** Audio since the last answer, as written: 8 kHz frames, or 16 kHz ones (`wide`) on G.722 calls. */
  #history: Array<{ pcm: Int16Array; wide: boolean }> = [];
  /** 16 kHz → 8 kHz, for wide audio an inner stream cannot take (the embedded fallback). */
  #narrower: Downsampler2x | undefined;
  #historyStartMs = 0;
  #historyMs = 0;
  /** Position when the engine last said anything (partials included). */
  #lastHeardMs = Number.NEGATIVE_INFINITY;
  #failures = 0;
  #fellBack = false;
  #finishing = false;
  #closed = false;
  readonly #expected: Expected[] = [];

  constructor(options: ResilientAsrStreamOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log;
    this.#inner = this.#start((o) => options.open(o));
  }

  /** Whether the rest of the call is heard by the embedded engine. */
  get fellBack(): boolean {
    return this.#fellBack;
  }

  #start(make: (o: AsrStreamOptions) => AsrStream): AsrStream {
    const generation = ++this.#generation;
    this.#base = this.#historyStartMs;
    const stream = make({
      onEvent: (e) => {
        if (generation === this.#generation) this.#event(e);
      },
      pauseMs: this.#o.pauseMs,
      itn: this.#o.itn,
      log: this.#o.log,
    });
    for (const { pcm, wide } of this.#history) this.#send(stream, pcm, wide);
    return stream;
  }

  #event(e: AsrEvent): void {
    if (this.#closed) return;
    if (e.type === 'rejected' && e.fatal) {
      this.#failed(e.detail ?? `${this.#o.engine}: failed`);
      return;
    }
    const event = { ...e, beginMs: e.beginMs + this.#base, endMs: e.endMs + this.#base };
    this.#lastHeardMs = this.#positionMs;
    if (event.type !== 'partial') {
      this.#failures = 0;
      this.#answered(event.endMs);
    }
    this.#o.onEvent(event);
  }

  /** Sentences up to `endMs` have their answer: no timeout for them, no replay of their audio. */
  #answered(endMs: number): void {
    while (this.#expected.length > 0 && this.#expected[0]!.beginMs <= endMs + SLACK_MS) {
      this.#clock.clearTimer(this.#expected.shift()!.timer);
    }
    this.#dropHistoryBefore(endMs);
  }

  #failed(detail: string): void {
    const old = this.#inner;
    if (this.#fellBack) {
      // The embedded engine does not fail as a whole; if it ever does, nothing better is left.
      this.#log?.error({ engine: 'embedded', detail }, 'speech recognition failed for the rest of the call');
      return;
    }
    this.#failures++;
    if (this.#finishing) {
      this.#log?.warn({ engine: this.#o.engine, detail }, 'speech engine failed at the end of the call');
      return;
    }
    if (this.#failures >= (this.#o.maxFailures ?? 2)) {
      this.#fellBack = true;
      this.#log?.error(
        { engine: this.#o.engine, detail, failures: this.#failures },
        'speech engine stays down: this call falls back to the embedded engine',
      );
      // The embedded engine bounds its own recognitions (its `timeoutMs`): no more timing here.
      for (const x of this.#expected.splice(0)) this.#clock.clearTimer(x.timer);
      this.#inner = this.#start((o) => this.#o.fallback(o));
      this.#o.onDown?.(detail);
    } else {
      this.#log?.warn(
        { engine: this.#o.engine, detail },
        'speech engine connection lost: reconnecting with a fresh task',
      );
      this.#inner = this.#start((o) => this.#o.open(o));
    }
    old.close();
  }

  write(frame: Int16Array): void {
    this.#written(frame, false);
  }

  /**
   * A G.722 call's 16 kHz audio, for an engine that takes it (FunASR): passed on as it is, and
   * kept for a replay as it is. An inner stream without `writeWide` (the embedded fallback) gets it
   * at 8 kHz.
   */
  writeWide(frame: Int16Array): void {
    this.#written(frame, true);
  }

  #written(frame: Int16Array, wide: boolean): void {
    if (this.#closed) return;
    const ms = msOf(frame, wide);
    this.#positionMs += ms;
    this.#history.push({ pcm: frame.slice(), wide });
    this.#historyMs += ms;
    while (this.#historyMs > REPLAY_MS && this.#history.length > 1) {
      const first = this.#history.shift()!;
      this.#historyStartMs += msOf(first.pcm, first.wide);
      this.#historyMs -= msOf(first.pcm, first.wide);
    }
    this.#send(this.#inner, frame, wide);
  }

  #send(stream: AsrStream, pcm: Int16Array, wide: boolean): void {
    if (!wide) stream.write(pcm);
    else if (stream.writeWide) stream.writeWide(pcm);
    else {
      this.#narrower ??= new Downsampler2x(960);
      const narrow = new Int16Array(pcm.length / 2);
      this.#narrower.process(pcm, narrow);
      stream.write(narrow);
    }
  }

  sentenceEnded(beginMs: number, endMs: number): void {
    if (this.#closed || this.#fellBack) return;
    const expected: Expected = { beginMs, endMs, timer: undefined };
    expected.timer = this.#clock.setTimer(() => this.#timedOut(expected), this.#o.timeoutMs);
    this.#expected.push(expected);
    this.#inner.sentenceEnded?.(beginMs - this.#base, endMs - this.#base);
  }

  #timedOut(expected: Expected): void {
    const i = this.#expected.indexOf(expected);
    if (i < 0 || this.#closed) return;
    // It and any sentence before it: the engine did not answer in time.
    const late = this.#expected.splice(0, i + 1);
    for (const x of late) this.#clock.clearTimer(x.timer);
    this.#dropHistoryBefore(expected.endMs);
    for (const x of late)
      this.#o.onEvent({
        type: 'rejected',
        reason: 'timeout',
        beginMs: x.beginMs,
        endMs: x.endMs,
        detail: `${this.#o.engine}: no answer within ${this.#o.timeoutMs} ms`,
      });
    const silent = this.#lastHeardMs < late[0]!.beginMs;
    if (silent) this.#failed(`${this.#o.engine}: no answer within ${this.#o.timeoutMs} ms`);
  }

  async finish(): Promise<void> {
    if (this.#closed) return;
    this.#finishing = true;
    await this.#inner.finish();
    if (this.#closed) return;
    // What is still unanswered gets its answer now: the engine had its time.
    for (const x of this.#expected.splice(0)) {
      this.#clock.clearTimer(x.timer);
      this.#o.onEvent({
        type: 'rejected',
        reason: 'timeout',
        beginMs: x.beginMs,
        endMs: x.endMs,
        detail: `${this.#o.engine}: no answer by the end of the stream`,
      });
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const x of this.#expected.splice(0)) this.#clock.clearTimer(x.timer);
    this.#history = [];
    this.#inner.close();
  }

  #dropHistoryBefore(ms: number): void {
    while (this.#history.length > 0) {
      const len = msOf(this.#history[0]!.pcm, this.#history[0]!.wide);
      if (this.#historyStartMs + len > ms) break;
      this.#history.shift();
      this.#historyStartMs += len;
      this.#historyMs -= len;
    }
  }
}

/** A frame's length in ms: 8 samples per ms, 16 for wide (16 kHz) audio. */
function msOf(pcm: Int16Array, wide: boolean): number {
  return pcm.length / (wide ? 16 : 8);
}

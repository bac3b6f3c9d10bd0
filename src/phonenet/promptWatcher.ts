/**
 * What a persona hears, as prompts: feeds the call's received frames to a speech detector, keeps the
 * heard segments, and lets a script step wait for the platform's prompt to start or to end.
 */
import type { Clock } from '../clock/clock.js';
import type { SpeechDetector, SpeechEdge } from './speechDetector.js';

export interface HeardSegment {
  /** Clock ms. */
  start: number;
  end: number;
}

type Waiter = { until: 'prompt-start' | 'prompt-end'; resolve: (reached: boolean) => void };

export class PromptWatcher {
  readonly #detector: SpeechDetector;
  readonly #onSegment: (segment: HeardSegment) => void;
  readonly #waiters = new Set<Waiter>();
  readonly #clock: Clock;
  #openSince: number | undefined;

  constructor(detector: SpeechDetector, clock: Clock, onSegment: (segment: HeardSegment) => void) {
    this.#detector = detector;
    this.#clock = clock;
    this.#onSegment = onSegment;
  }

  /** The platform is talking now (its prompt started and has not ended). */
  get speaking(): boolean {
    return this.#detector.speaking;
  }

  /** Feed one received frame (called on every media tick). */
  push(frame: Int16Array, time: number): void {
    const edge = this.#detector.push(frame, time);
    if (edge) this.#edge(edge);
  }

  /**
   * Resolves true when the prompt starts (now, if already talking) or ends (the current one, or the
   * next one), false after `maxMs` or when `signal` aborts.
   */
  wait(until: 'prompt-start' | 'prompt-end', maxMs: number, signal: AbortSignal): Promise<boolean> {
    if (until === 'prompt-start' && this.speaking) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (reached: boolean) => {
        this.#clock.clearTimer(timer);
        signal.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
        resolve(reached);
      };
      const waiter: Waiter = { until, resolve: finish };
      const onAbort = () => finish(false);
      const timer = this.#clock.setTimer(() => finish(false), maxMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Closes a segment still open when the call ends. */
  finish(time: number): void {
    if (this.#openSince !== undefined) this.#onSegment({ start: this.#openSince, end: time });
    this.#openSince = undefined;
  }

  #edge(edge: SpeechEdge): void {
    if (edge.type === 'start') this.#openSince = edge.at;
    else {
      this.#openSince = undefined;
      this.#onSegment({ start: edge.startedAt, end: edge.at });
    }
    const until = edge.type === 'start' ? 'prompt-start' : 'prompt-end';
    for (const w of [...this.#waiters]) if (w.until === until) w.resolve(true);
  }
}

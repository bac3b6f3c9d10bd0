/**
 * What the call path tells `Metrics` as it happens: every state a call enters and how it ended
 * (from the ledger, through which every change of a call goes), the turn latencies measured the
 * way `bench/turnBench.ts` measures them (from the call events, all on the media clock), and each
 * callback exchange. It also knows which calls of this process are in which state, for the
 * "calls in progress" gauge.
 */
import type { Metrics } from '../observability/metrics.js';
import type { CallRecord, CallState } from '../store/records.js';
import type { CallEventMap, CallEvents } from './callEvents.js';

/** Outcomes that are not errors: a reply, or the platform answering from the call's script. */
const NOT_ERRORS = new Set(['ok', 'scripted']);
/** Outcomes with no HTTP round trip to time. */
const NOT_POSTED = new Set(['scripted', 'no-callback-url']);

type Listener<K extends keyof CallEventMap> = (...args: CallEventMap[K]) => void;

export class CallMetrics {
  readonly #metrics: Metrics;
  readonly #events: CallEvents;
  /** Calls of this process not yet final, by their current state. */
  readonly #states = new Map<string, CallState>();
  /** When the callee's last sentence ended, per call (until its callback goes out). */
  readonly #sentenceEnded = new Map<string, number>();
  /** When a `play` reply arrived, per call (until its first audio goes out). */
  readonly #replied = new Map<string, number>();
  readonly #listeners: { [K in keyof CallEventMap]?: Listener<K> } = {};

  constructor(metrics: Metrics, events: CallEvents) {
    this.#metrics = metrics;
    this.#events = events;
    this.#on('sentenceEnded', (e) => this.#sentenceEnded.set(e.callId, e.at));
    this.#on('callback', (e) => this.#callback(e));
    this.#on('playStarted', (e) => {
      const at = this.#replied.get(e.callId);
      if (at === undefined) return;
      this.#replied.delete(e.callId);
      const prompt = e.code.includes('$') ? 'tts' : 'file';
      metrics.replyToFirstAudio.observe({ prompt }, Math.max(0, e.at - at) / 1000);
    });
    this.#on('ended', (e) => this.#forget(e.callId));
  }

  /** The ledger wrote a new state for a call (its hook). */
  stateChanged(call: CallRecord): void {
    const m = this.#metrics;
    m.callStates.inc({ state: call.state });
    if (call.state === 'ended' || call.state === 'failed') {
      m.callsEnded.inc({
        state: call.state,
        status_code: call.statusCode ?? '',
        outcome: call.smartStatusCode ?? '',
      });
      this.#states.delete(call.callId);
    } else this.#states.set(call.callId, call.state);
  }

  /** Calls of this process not yet final, counted by state. */
  inProgress(): Map<CallState, number> {
    const counts = new Map<CallState, number>();
    for (const state of this.#states.values()) counts.set(state, (counts.get(state) ?? 0) + 1);
    return counts;
  }

  close(): void {
    for (const [name, fn] of Object.entries(this.#listeners))
      this.#events.off(name as keyof CallEventMap, fn as never);
  }

  #on<K extends keyof CallEventMap>(name: K, fn: Listener<K>): void {
    (this.#listeners as Record<string, unknown>)[name] = fn;
    this.#events.on(name, fn as never);
  }

  #callback(e: CallEventMap['callback'][0]): void {
    const m = this.#metrics;
    const type = e.contentType;
    m.callbacks.inc({ type, outcome: e.outcome });
    if (!NOT_ERRORS.has(e.outcome)) m.callbackErrors.inc({ type, failure: e.outcome });
    if (!NOT_POSTED.has(e.outcome)) m.callbackLatency.observe({ type }, e.latencyMs / 1000);
    if (type !== 'normal') return;
    const ended = this.#sentenceEnded.get(e.callId);
    this.#sentenceEnded.delete(e.callId);
    if (ended !== undefined) m.speechEndToCallback.observe(Math.max(0, e.at - ended) / 1000);
    if (e.action === 'play') this.#replied.set(e.callId, e.at + e.latencyMs);
  }

  #forget(callId: string): void {
    this.#sentenceEnded.delete(callId);
    this.#replied.delete(callId);
    this.#states.delete(callId);
  }
}

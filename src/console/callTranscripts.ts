/**
 * Keeps what happened in each recent call (state changes, what was said and heard, callbacks and
 * actions, the final record) so a watcher that connects a moment after placing the call — the
 * `smartcall call` command — sees the conversation from its start. Bounded: the last N calls.
 */
import type { CallEventMap, CallEvents } from '../calls/callEvents.js';

export type TranscriptEntry = {
  [K in keyof CallEventMap]: { type: K; data: CallEventMap[K][0] };
}[keyof CallEventMap];

type Listener = (entry: TranscriptEntry) => void;

export class CallTranscripts {
  readonly #calls = new Map<
    string,
    { entries: TranscriptEntry[]; ended: boolean; listeners: Set<Listener> }
  >();
  readonly #max: number;
  /** Watchers of every call (the console's live screen). */
  readonly #everyone = new Set<Listener>();

  constructor(events: CallEvents, maxCalls = 500) {
    this.#max = maxCalls;
    for (const type of ['state', 'said', 'heard', 'dtmf', 'callback', 'interrupted', 'ended'] as const) {
      events.on(type, (data: { callId: string }) =>
        this.#add(data.callId, { type, data } as TranscriptEntry),
      );
    }
  }

  #slot(callId: string) {
    let slot = this.#calls.get(callId);
    if (!slot) {
      slot = { entries: [], ended: false, listeners: new Set() };
      this.#calls.set(callId, slot);
      if (this.#calls.size > this.#max) {
        const oldest = this.#calls.keys().next().value!;
        this.#calls.delete(oldest);
      }
    }
    return slot;
  }

  #add(callId: string, entry: TranscriptEntry): void {
    const slot = this.#slot(callId);
    if (slot.entries.length < 2000) slot.entries.push(entry);
    if (entry.type === 'ended') slot.ended = true;
    for (const l of slot.listeners) l(entry);
    for (const l of this.#everyone) l(entry);
  }

  /** What is still held for a call (recent calls only), without following it. */
  entries(callId: string): readonly TranscriptEntry[] {
    return this.#calls.get(callId)?.entries ?? [];
  }

  /** Replays what is known, then follows; returns the unsubscribe function. */
  follow(callId: string, listener: Listener): { stop: () => void; ended: boolean } {
    const slot = this.#slot(callId);
    for (const e of slot.entries) listener(e);
    slot.listeners.add(listener);
    return { stop: () => slot.listeners.delete(listener), ended: slot.ended };
  }

  /** Follows every call's entries from now on (nothing is replayed); returns the unsubscribe function. */
  watchAll(listener: Listener): () => void {
    this.#everyone.add(listener);
    return () => this.#everyone.delete(listener);
  }
}

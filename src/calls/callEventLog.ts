/**
 * Writes what happens in calls (states, prompts played, speech heard or rejected, keys, barge-ins,
 * callbacks) to the store as it happens, so a call's timeline outlives the process: the console's
 * call detail and live replay read it back from here. Events that arrive in the same turn of the
 * event loop go in one transaction (a call has tens of events; a busy server writes one batch per
 * turn, not one commit per event). A failed write is logged with its cause; calls go on.
 */
import type { Logger } from '../observability/logger.js';
import type { CallEventRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import type { CallEventMap, CallEvents } from './callEvents.js';

export const LOGGED_EVENTS = ['state', 'said', 'heard', 'dtmf', 'callback', 'interrupted'] as const;
export type LoggedEventType = (typeof LOGGED_EVENTS)[number];

/** A stored event as the call path emitted it (a callback without its content: the exchange log has it). */
export type LoggedEvent = {
  [K in LoggedEventType]: { type: K; data: CallEventMap[K][0] };
}[LoggedEventType];

const isLogged = (type: string): type is LoggedEventType =>
  (LOGGED_EVENTS as readonly string[]).includes(type);

/** The stored form of an event. */
export function eventRecord(e: LoggedEvent): CallEventRecord {
  const { callId, ...rest } = e.data;
  // The callback's content is in callback_exchanges; keep the row small.
  const data = e.type === 'callback' ? { ...rest, content: undefined } : rest;
  return { callId, at: e.data.at, type: e.type, data: JSON.stringify(data) };
}

/** The event a stored row holds, or undefined for a row this version does not know. */
export function loggedEvent(r: CallEventRecord): LoggedEvent | undefined {
  if (!isLogged(r.type)) return undefined;
  try {
    return { type: r.type, data: { ...(JSON.parse(r.data) as object), callId: r.callId } } as LoggedEvent;
  } catch {
    return undefined;
  }
}

export class CallEventLog {
  readonly #store: Store;
  readonly #log: Logger;
  #pending: CallEventRecord[] = [];
  #scheduled = false;
  readonly #off: (() => void)[] = [];

  constructor(o: { store: Store; events: CallEvents; log: Logger }) {
    this.#store = o.store;
    this.#log = o.log;
    for (const type of LOGGED_EVENTS) {
      const listener = (data: { callId: string }) => this.#add({ type, data } as LoggedEvent);
      o.events.on(type, listener);
      this.#off.push(() => o.events.off(type, listener));
    }
  }

  #add(e: LoggedEvent): void {
    this.#pending.push(eventRecord(e));
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is waiting now (readers call it first to see every event emitted so far). */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    try {
      this.#store.callEvents.append(batch);
    } catch (err) {
      this.#log.error({ err, events: batch.length }, 'call timeline events could not be stored');
    }
  }

  /** A call's events so far, oldest first: what the store holds and what is about to be written. */
  listByCall(callId: string): LoggedEvent[] {
    this.flush();
    const out: LoggedEvent[] = [];
    for (const r of this.#store.callEvents.listByCall(callId)) {
      const e = loggedEvent(r);
      if (e) out.push(e);
    }
    return out;
  }

  /** Stops listening and writes what is waiting. */
  close(): void {
    for (const off of this.#off.splice(0)) off();
    this.flush();
  }
}

/**
 * One persona call's timeline: signalling, what the persona said, what it heard, digits, the end.
 * Every event carries `t`, ms since the INVITE arrived, and `at`, the wall time. Events are kept in
 * memory and, when a file is given, appended to it as JSON lines while the call runs (a crash
 * leaves the timeline up to that moment).
 */

import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';

export type TimelineEventType =
  | 'invite'
  | 'ringing'
  | 'early-media'
  | 'answered'
  | 'confirmed'
  | 'rejected'
  | 'recording'
  | 'said'
  | 'heard'
  | 'dtmf-sent'
  | 'dtmf-received'
  | 'silence'
  | 'waited'
  | 'when'
  | 'bye-sent'
  | 'bye-received'
  | 'cancelled'
  | 'max-duration'
  | 'error'
  | 'ended';

export interface TimelineEvent {
  type: TimelineEventType;
  /** ms since the INVITE arrived. */
  t: number;
  /** ISO wall time. */
  at: string;
  [field: string]: unknown;
}

export class CallTimeline {
  readonly events: TimelineEvent[] = [];
  /** Clock ms of the INVITE: `t` = clock time − origin. */
  readonly origin: number;
  readonly #now: () => number;
  #file: WriteStream | undefined;
  #fileError: Error | undefined;

  /**
   * `now` is the media clock's time, so clock-stamped media events line up; it is epoch ms (the one
   * Clock is anchored to the epoch), so `at` reads as a date without a second clock.
   */
  constructor(now: () => number, path?: string) {
    this.#now = now;
    this.origin = now();
    if (path) {
      this.#file = createWriteStream(path, { flags: 'wx' });
      this.#file.on('error', (err) => {
        this.#fileError = err;
      });
    }
  }

  /** ms since the INVITE (now, or at clock time `time`). */
  offset(time = this.#now()): number {
    return Math.round(time - this.origin);
  }

  /** Adds an event at clock time `time` (default now). */
  add(type: TimelineEventType, fields: Record<string, unknown> = {}, time = this.#now()): TimelineEvent {
    const event: TimelineEvent = {
      type,
      t: this.offset(time),
      at: new Date(time).toISOString(),
      ...fields,
    };
    this.events.push(event);
    if (this.#file && !this.#fileError) this.#file.write(JSON.stringify(event) + '\n');
    return event;
  }

  ofType(type: TimelineEventType): TimelineEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Flushes and closes the file; resolves with the write error, if any. */
  async close(): Promise<Error | undefined> {
    const file = this.#file;
    this.#file = undefined;
    if (file && !file.closed) {
      file.end();
      if (!file.closed) await once(file, 'close').catch(() => undefined);
    }
    return this.#fileError;
  }
}

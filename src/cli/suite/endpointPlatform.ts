/**
 * A running smartcall as the suite's platform (`smartcall test --endpoint`): cases are placed with
 * the one key given and followed through the console's live events (the console token of the
 * local data directory, as `smartcall call` does). The server's account settings stay as they are,
 * so cases call numbers its phone network already serves (a built-in persona, or `{number}`), and
 * what only the embedded platform sees (reply bodies, receipts) is reported as not watched.
 */

import { systemClock } from '../../clock/clock.js';
import { within } from '../../clock/within.js';
import { BUILTIN_NUMBERS } from '../../phonenet/index.js';
import { SmartcallClient } from '../smartcallClient.js';
import { type Observation, observe, type RawCallEvent } from './observation.js';
import { type PlacedCall, type SuitePlatform, smartCallParams } from './suitePlatform.js';
import type { SuiteCase } from './suiteSchema.js';

export interface EndpointPlatformOptions {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** CalledShowNumber: a display number of the key's account. */
  from: string;
  consoleToken: string;
}

export class EndpointPlatform implements SuitePlatform {
  readonly #o: EndpointPlatformOptions;
  readonly #client: SmartcallClient;
  readonly #follows = new Map<
    string,
    { events: RawCallEvent[]; done: Promise<void>; stop: AbortController }
  >();

  constructor(options: EndpointPlatformOptions) {
    this.#o = options;
    this.#client = new SmartcallClient(options);
  }

  /** Refuses what a remote server cannot do for a case, naming the case and the reason. */
  async prepare(cases: readonly SuiteCase[]): Promise<void> {
    for (const c of cases) {
      if (c.callee.kind === 'persona' && !(c.callee.label in BUILTIN_NUMBERS))
        throw new Error(
          `case "${c.name}": an inline callee needs the embedded platform (drop --endpoint), or name a number the server's phone network serves`,
        );
      if (c.callback)
        throw new Error(
          `case "${c.name}": a case's own callback needs the embedded platform (drop --endpoint); the server's account keeps its callback URL`,
        );
    }
  }

  #number(c: SuiteCase): string {
    if (c.callee.kind === 'number') return c.callee.number;
    return BUILTIN_NUMBERS[c.callee.label as keyof typeof BUILTIN_NUMBERS];
  }

  async place(c: SuiteCase): Promise<PlacedCall> {
    const startedAt = systemClock.now();
    const body = await this.#client.call('SmartCall', {
      CalledShowNumber: this.#o.from,
      CalledNumber: this.#number(c),
      ...smartCallParams(c),
    });
    if (body.Code !== 'OK') throw new Error(`SmartCall refused: ${body.Code}: ${body.Message}`);
    const callId = String(body.CallId);
    const stop = new AbortController();
    const events: RawCallEvent[] = [];
    const done = this.#follow(callId, events, stop.signal);
    done.catch(() => undefined);
    this.#follows.set(callId, { events, done, stop });
    return { callId, startedAt };
  }

  async #follow(callId: string, events: RawCallEvent[], signal: AbortSignal): Promise<void> {
    const res = await fetch(`http://${this.#o.endpoint}/console/calls/${encodeURIComponent(callId)}/events`, {
      headers: { authorization: `Bearer ${this.#o.consoleToken}` },
      signal,
    });
    if (!res.ok || !res.body)
      throw new Error(`cannot follow the call: HTTP ${res.status} (is --data-dir the server's?)`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (!type || !data) continue;
        const event = { type, data: JSON.parse(data) } as RawCallEvent;
        events.push(event);
        if (event.type === 'ended') return;
      }
    }
  }

  async waitForEnd(callId: string, timeoutMs: number): Promise<boolean> {
    const f = this.#follows.get(callId);
    if (!f) return false;
    const ended = await within(f.done, timeoutMs);
    return ended && f.events.some((e) => e.type === 'ended');
  }

  async observe(_c: SuiteCase, call: PlacedCall): Promise<Observation> {
    const f = this.#follows.get(call.callId);
    return observe({
      callId: call.callId,
      startedAt: call.startedAt,
      events: f?.events ?? [],
      exchanges: undefined,
      receipts: undefined,
    });
  }

  async close(): Promise<void> {
    for (const f of this.#follows.values()) f.stop.abort();
    await Promise.allSettled([...this.#follows.values()].map((f) => f.done));
  }
}

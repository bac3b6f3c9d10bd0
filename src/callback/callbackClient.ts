/**
 * Posts one callback (spec §4.1) and reads the reply. Parameters go URL-encoded in the query
 * string with an empty body (the documented sample), or in a form body when the account asks for
 * it — never both (spec §10 Q1). One attempt with a timeout, no retry: the dialogue is real time.
 *
 * Beyond Alibaba: with a signing secret, every request carries
 * `X-Smartcall-Signature: t=<epoch ms>,v1=<hex HMAC-SHA256(secret, "<t>.<encoded parameters>")>`,
 * so the business can check the callback comes from its smartcall and is fresh.
 */

import { createHmac } from 'node:crypto';
import { systemClock } from '../clock/clock.js';
import { type CallbackRequest, encodeCallbackParams } from '../contract/callbackContent.js';
import {
  type ParsedCallinReply,
  type ParsedReply,
  parseCallbackReply,
  parseCallinReply,
  ReplyError,
} from '../contract/callbackReply.js';

export interface CallbackTarget {
  url: string;
  timeoutMs: number;
  bodyMode: 'query' | 'form';
  signingSecret?: string | undefined;
}

export type CallbackFailure = 'timeout' | 'network' | 'http-status' | 'bad-reply' | 'fail-result';

export type CallbackOutcome<R = ParsedReply> =
  | { ok: true; reply: R; status: number; body: string; latencyMs: number }
  | {
      ok: false;
      failure: CallbackFailure;
      detail: string;
      status?: number;
      body?: string;
      latencyMs: number;
    };

export const SIGNATURE_HEADER = 'x-smartcall-signature';

/** The value of the signature header for `encoded` parameters sent at `timestamp`. */
export function callbackSignature(secret: string, timestamp: number, encoded: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${encoded}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

const MAX_REPLY_BYTES = 64 * 1024;

export class CallbackClient {
  readonly #fetch: typeof fetch;
  readonly #now: () => number;

  constructor(options: { fetch?: typeof fetch; now?: () => number } = {}) {
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? (() => systemClock.now());
  }

  /** Posts a turn's callback (§4.3) and parses its reply (§4.4). */
  send(target: CallbackTarget, request: CallbackRequest): Promise<CallbackOutcome> {
    return this.#exchange(target, request, parseCallbackReply);
  }

  /** Posts an inbound call's `callin` (§4.7); the reply must be `answer` or `hangup`. */
  sendCallin(target: CallbackTarget, request: CallbackRequest): Promise<CallbackOutcome<ParsedCallinReply>> {
    return this.#exchange(target, request, parseCallinReply);
  }

  async #exchange<R>(
    target: CallbackTarget,
    request: CallbackRequest,
    parse: (body: string) => R,
  ): Promise<CallbackOutcome<R>> {
    const started = this.#now();
    const encoded = encodeCallbackParams(request);
    const headers: Record<string, string> = { 'user-agent': 'smartcall-callback/1' };
    if (target.signingSecret)
      headers[SIGNATURE_HEADER] = callbackSignature(target.signingSecret, request.timestamp, encoded);
    let url = target.url;
    let body: string | undefined;
    if (target.bodyMode === 'form') {
      headers['content-type'] = 'application/x-www-form-urlencoded;charset=utf-8';
      body = encoded;
    } else {
      url += (url.includes('?') ? '&' : '?') + encoded;
    }
    let status: number;
    let text: string;
    try {
      const res = await this.#fetch(url, {
        method: 'POST',
        headers,
        body: body ?? '',
        signal: AbortSignal.timeout(target.timeoutMs),
        redirect: 'manual',
      });
      status = res.status;
      text = await readLimited(res, MAX_REPLY_BYTES);
    } catch (err) {
      const e = err as Error;
      const timeout = e.name === 'TimeoutError' || e.name === 'AbortError';
      return {
        ok: false,
        failure: timeout ? 'timeout' : 'network',
        detail: timeout ? `no reply within ${target.timeoutMs} ms` : describeNetworkError(e),
        latencyMs: this.#now() - started,
      };
    }
    const latencyMs = this.#now() - started;
    if (status < 200 || status > 299) {
      return { ok: false, failure: 'http-status', detail: `HTTP ${status}`, status, body: text, latencyMs };
    }
    try {
      return { ok: true, reply: parse(text), status, body: text, latencyMs };
    } catch (err) {
      if (!(err instanceof ReplyError)) throw err; // a bug, not a bad reply
      const failure: CallbackFailure = err.code === 'fail-result' ? 'fail-result' : 'bad-reply';
      return { ok: false, failure, detail: err.message, status, body: text, latencyMs };
    }
  }
}

function describeNetworkError(e: Error): string {
  const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return cause?.message ? `${e.message}: ${cause.message}` : e.message;
}

/** Reads at most `limit` bytes of the body; a larger reply is cut (and will not parse). */
async function readLimited(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

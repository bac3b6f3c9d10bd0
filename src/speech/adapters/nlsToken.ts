/**
 * Tokens for Alibaba Cloud NLS. With an AccessKey pair a token is fetched from the nls-meta
 * service's CreateToken API (POP RPC: `GET /?Action=CreateToken&Version=2019-02-28&…` signed with
 * SignatureVersion 1.0, HMAC-SHA1 — the request the NLS SDKs' own getToken sends) and renewed a
 * minute before its `ExpireTime` (Unix seconds), or at once when the gateway refuses it. A fixed
 * token (the console's "Obtain AccessToken") lasts 24 hours and cannot be renewed: once the
 * gateway refuses it, every later use fails at once with an error that says what to configure.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../../clock/clock.js';
import type { Logger } from '../../observability/logger.js';

export interface NlsTokenOptions {
  token?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  /** CreateToken endpoint, `http(s)://host[:port]` (default the cn-shanghai nls-meta service). */
  tokenEndpoint?: string;
  timeoutMs?: number;
  clock?: Clock;
  log?: Logger;
  /** The engine's name, for log lines. */
  name?: string;
}

export const DEFAULT_TOKEN_ENDPOINT = 'http://nls-meta.cn-shanghai.aliyuncs.com';
const API_VERSION = '2019-02-28';
/** Renew this long before ExpireTime, so a task never starts with a token about to lapse. */
const RENEW_AHEAD_MS = 60_000;

interface CreateTokenResponse {
  Token?: { Id?: string; ExpireTime?: number };
  Code?: string;
  Message?: string;
}

/** Whether a gateway failure means the token was refused (expired, invalid or unknown). */
export function isTokenRefusal(detail: string): boolean {
  // TaskFailed 40000001 "Gateway:ACCESS_DENIED:The token '…' has expired!" / "… is invalid!", or an
  // HTTP 403 on the WebSocket upgrade (ISI real-time ASR status codes).
  return /\b40000001\b|ACCESS_DENIED|Unexpected server response: 403|HTTP 403\b/.test(detail);
}

export class NlsTokenProvider {
  readonly #options: NlsTokenOptions;
  readonly #clock: Clock;
  #cached: { id: string; expiresAtMs: number } | null = null;
  #pending: Promise<string> | null = null;
  /** Why the fixed token no longer works (set once the gateway refused it). */
  #refused: string | null = null;

  constructor(options: NlsTokenOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** True for a fixed (console) token: it expires 24 h after it was issued and is never renewed. */
  get fixed(): boolean {
    return Boolean(this.#options.token) && !this.#renewable;
  }

  /** A fixed token the gateway has refused: the engine cannot work until the config changes. */
  get refused(): string | null {
    return this.#refused;
  }

  get #renewable(): boolean {
    return Boolean(this.#options.accessKeyId && this.#options.accessKeySecret);
  }

  async token(): Promise<string> {
    if (this.#refused) throw new Error(this.#refused);
    if (!this.#renewable) {
      if (this.#options.token) return this.#options.token;
      throw new Error('nls: no token and no AccessKey to fetch one');
    }
    if (this.#cached && this.#cached.expiresAtMs - RENEW_AHEAD_MS > this.#clock.now()) return this.#cached.id;
    // One CreateToken at a time: calls starting together share it.
    this.#pending ??= this.#create().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  /**
   * The gateway refused a token this provider gave (`detail`: its status and text). A fetched
   * token is dropped so the next task fetches a new one; a fixed token is marked dead, loudly.
   */
  refuse(token: string, detail: string): void {
    if (this.#renewable) {
      if (this.#cached?.id === token) this.#cached = null;
      return;
    }
    if (this.#refused) return;
    this.#refused =
      `nls: the gateway refused the configured token (${detail}); a console token expires 24 h after ` +
      'it was issued: configure accessKeyId and accessKeySecret so that smartcall fetches and renews tokens';
    this.#options.log?.error(
      { engine: this.#options.name, detail },
      'NLS token refused: this engine is unusable until the config gives a new token or an AccessKey pair; calls use the embedded engine',
    );
  }

  async #create(): Promise<string> {
    const { accessKeyId, accessKeySecret } = this.#options;
    const endpoint = (this.#options.tokenEndpoint ?? DEFAULT_TOKEN_ENDPOINT).replace(/\/+$/, '');
    const url = `${endpoint}/?${signedCreateTokenQuery(accessKeyId!, accessKeySecret!, {
      // The request's Timestamp is wall time for the server, whatever clock times the expiry.
      now: systemClock.now(),
      regionId: regionOf(endpoint),
    })}`;
    const abort = new AbortController();
    const timeoutMs = this.#options.timeoutMs ?? 5000;
    const timer = this.#clock.setTimer(() => abort.abort(), timeoutMs);
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, { signal: abort.signal, headers: { accept: 'application/json' } });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const why = abort.signal.aborted ? `no answer in ${timeoutMs} ms` : causeOf(err);
      throw new Error(`nls: CreateToken at ${endpoint} failed: ${why}`);
    } finally {
      this.#clock.clearTimer(timer);
    }
    let body: CreateTokenResponse;
    try {
      body = JSON.parse(text) as CreateTokenResponse;
    } catch {
      throw new Error(`nls: CreateToken at ${endpoint} answered HTTP ${status} with no JSON`);
    }
    const id = body.Token?.Id;
    const expireTime = body.Token?.ExpireTime;
    if (status !== 200 || !id || typeof expireTime !== 'number')
      throw new Error(
        `nls: CreateToken at ${endpoint} failed: HTTP ${status}` +
          (body.Code ? ` ${body.Code}: ${body.Message ?? ''}`.trimEnd() : ' without a token'),
      );
    this.#cached = { id, expiresAtMs: expireTime * 1000 };
    this.#options.log?.info(
      { engine: this.#options.name, expiresAt: new Date(expireTime * 1000).toISOString() },
      'NLS token fetched',
    );
    return id;
  }
}

/**
 * The query string of a signed CreateToken request (POP RPC, SignatureVersion 1.0): the parameters
 * sorted by name, each name and value percent-encoded (RFC 3986, as the SDKs' `encode`), the string
 * to sign `GET&%2F&` + the encoded canonical query, HMAC-SHA1 keyed with `secret + "&"`, base64.
 */
export function signedCreateTokenQuery(
  accessKeyId: string,
  accessKeySecret: string,
  opts: { now: number; regionId: string; nonce?: string },
): string {
  const params: Record<string, string> = {
    AccessKeyId: accessKeyId,
    Action: 'CreateToken',
    Format: 'JSON',
    RegionId: opts.regionId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: opts.nonce ?? randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: new Date(Math.floor(opts.now / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    Version: API_VERSION,
  };
  const canonical = Object.keys(params)
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k]!)}`)
    .join('&');
  const stringToSign = `GET&${percentEncode('/')}&${percentEncode(canonical)}`;
  const signature = createHmac('sha1', `${accessKeySecret}&`).update(stringToSign, 'utf8').digest('base64');
  return `${canonical}&Signature=${percentEncode(signature)}`;
}

function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `nls-meta.cn-shanghai.aliyuncs.com` → `cn-shanghai` (also `nlsmeta.ap-southeast-1…`); else cn-shanghai. */
function regionOf(endpoint: string): string {
  const m = /^[a-z]+:\/\/nls-?meta\.([a-z0-9-]+)\.aliyuncs\.com/i.exec(endpoint);
  return m?.[1] ?? 'cn-shanghai';
}

function causeOf(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

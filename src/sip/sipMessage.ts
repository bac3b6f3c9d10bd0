import { type DigestChallenge, parseDigestChallenge } from './digestAuth.js';
import {
  type CSeq,
  mediaType,
  parseCSeq,
  parseMaxForwards,
  parseMinSE,
  parseSessionExpires,
  parseTokenList,
  type SessionExpires,
} from './headerValues.js';
import { type NameAddr, parseNameAddr } from './nameAddr.js';
import { SipHeaders } from './sipHeaders.js';
import type { Uri } from './sipUri.js';
import { parseVia, type Via } from './via.js';

const EMPTY = Buffer.alloc(0);

/** A required header that a validated message must have was missing or malformed: a bug, not input. */
export class SipInvariantError extends Error {
  override name = 'SipInvariantError';
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new SipInvariantError(`message has no valid ${what}`);
  return value;
}

function parseNameAddrList(values: readonly string[] | undefined): NameAddr[] | undefined {
  if (!values) return undefined;
  const out: NameAddr[] = [];
  for (const v of values) {
    const na = parseNameAddr(v);
    if (!na) return undefined;
    out.push(na);
  }
  return out;
}

/**
 * What requests and responses share (§7): headers, body and typed views of the headers.
 * The core headers (Via, From, To, Call-ID, CSeq) are validated by the parser, so their getters
 * throw only for a message this process built wrongly; optional headers return undefined when
 * absent or malformed.
 */
abstract class SipMessageBase {
  headers: SipHeaders;
  body: Buffer;

  constructor(headers = new SipHeaders(), body: Buffer = EMPTY) {
    this.headers = headers;
    this.body = body;
  }

  /** All Via values, top first; undefined when one is malformed. */
  tryVias(): Via[] | undefined {
    return this.headers.parsed('via', () => {
      const list = this.headers.getList('via');
      if (!list || list.length === 0) return undefined;
      const out: Via[] = [];
      for (const v of list) {
        const via = parseVia(v);
        if (!via) return undefined;
        out.push(via);
      }
      return out;
    });
  }

  get vias(): Via[] {
    return required(this.tryVias(), 'Via');
  }

  get topVia(): Via {
    return this.vias[0]!;
  }

  tryFrom(): NameAddr | undefined {
    return this.headers.parsed('from', () => single(this.headers.getAll('from'), parseNameAddr));
  }

  tryTo(): NameAddr | undefined {
    return this.headers.parsed('to', () => single(this.headers.getAll('to'), parseNameAddr));
  }

  get from(): NameAddr {
    return required(this.tryFrom(), 'From');
  }

  get to(): NameAddr {
    return required(this.tryTo(), 'To');
  }

  tryCallId(): string | undefined {
    const values = this.headers.getAll('call-id');
    if (values.length !== 1) return undefined;
    const v = values[0]!.trim();
    return v.length > 0 && !/\s/.test(v) ? v : undefined;
  }

  get callId(): string {
    return required(this.tryCallId(), 'Call-ID');
  }

  tryCSeq(): CSeq | undefined {
    return this.headers.parsed('cseq', () => single(this.headers.getAll('cseq'), parseCSeq));
  }

  get cseq(): CSeq {
    return required(this.tryCSeq(), 'CSeq');
  }

  /** Contact values; `[]` when absent, undefined when malformed (or `*`). */
  contacts(): NameAddr[] | undefined {
    return this.headers.parsed('contact', () => parseNameAddrList(this.headers.getList('contact')));
  }

  recordRoutes(): NameAddr[] | undefined {
    return this.headers.parsed('record-route', () => parseNameAddrList(this.headers.getList('record-route')));
  }

  routes(): NameAddr[] | undefined {
    return this.headers.parsed('route', () => parseNameAddrList(this.headers.getList('route')));
  }

  maxForwards(): number | undefined {
    const v = this.headers.get('max-forwards');
    return v === undefined ? undefined : parseMaxForwards(v);
  }

  /** Media type of the body (`application/sdp`), lower-cased, without parameters. */
  contentType(): string | undefined {
    const v = this.headers.get('content-type');
    return v === undefined ? undefined : mediaType(v);
  }

  sessionExpires(): SessionExpires | undefined {
    const v = this.headers.get('session-expires');
    return v === undefined ? undefined : parseSessionExpires(v);
  }

  minSE(): number | undefined {
    const v = this.headers.get('min-se');
    return v === undefined ? undefined : parseMinSE(v);
  }

  /** Option tags of Supported; `[]` when absent or malformed. */
  supported(): string[] {
    return parseTokenList(this.headers.getAll('supported')) ?? [];
  }

  /** Option tags of Require; undefined when malformed. */
  require(): string[] | undefined {
    return parseTokenList(this.headers.getAll('require'));
  }

  /** Methods of Allow; undefined when absent or malformed. */
  allow(): string[] | undefined {
    if (!this.headers.has('allow')) return undefined;
    return parseTokenList(this.headers.getAll('allow'))?.map((m) => m.toUpperCase());
  }

  /** Usable Digest challenges of WWW-Authenticate (401) and Proxy-Authenticate (407), RFC 3261 §22. */
  challenges(): { www: DigestChallenge[]; proxy: DigestChallenge[] } {
    const read = (name: string) =>
      this.headers
        .getAll(name)
        .map(parseDigestChallenge)
        .filter((c): c is DigestChallenge => c !== undefined);
    return { www: read('www-authenticate'), proxy: read('proxy-authenticate') };
  }

  /** The body as text (SDP is UTF-8). */
  bodyText(): string {
    return this.body.toString('utf8');
  }
}

function single<T>(values: readonly string[], parse: (v: string) => T | undefined): T | undefined {
  return values.length === 1 ? parse(values[0]!) : undefined;
}

export class SipRequest extends SipMessageBase {
  readonly kind = 'request' as const;
  method: string;
  uri: Uri;

  constructor(method: string, uri: Uri, headers?: SipHeaders, body?: Buffer) {
    super(headers, body);
    this.method = method;
    this.uri = uri;
  }

  clone(): SipRequest {
    return new SipRequest(this.method, this.uri, this.headers.clone(), this.body);
  }
}

export class SipResponse extends SipMessageBase {
  readonly kind = 'response' as const;
  status: number;
  reason: string;

  constructor(status: number, reason: string, headers?: SipHeaders, body?: Buffer) {
    super(headers, body);
    this.status = status;
    this.reason = reason;
  }
}

export type SipMessage = SipRequest | SipResponse;

import { Params, parseParams } from './params.js';
import { isValidHost } from './sipUri.js';
import { scanToken, skipWsp } from './syntax.js';

/** The RFC 3261 branch magic cookie (§8.1.1.7): branches starting with it are unique per transaction. */
export const MAGIC_COOKIE = 'z9hG4bK';

/**
 * One Via header field value (§20.42):
 *
 *   SIP / 2.0 / UDP  192.0.2.1:5060 ;branch=z9hG4bK776asdhds ;received=... ;rport
 *
 * LWS is allowed around `/`, `:` and `;` (the RFC 4475 wsinv message exercises all of them).
 */
export class Via {
  protocolName: string;
  protocolVersion: string;
  /** Upper-case transport: UDP, TCP, TLS, SCTP, WS, ... */
  transport: string;
  host: string;
  port: number | undefined;
  params: Params;

  constructor(init: {
    transport: string;
    host: string;
    port?: number | undefined;
    params?: Params;
    protocolName?: string;
    protocolVersion?: string;
  }) {
    this.protocolName = init.protocolName ?? 'SIP';
    this.protocolVersion = init.protocolVersion ?? '2.0';
    this.transport = init.transport.toUpperCase();
    this.host = init.host;
    this.port = init.port;
    this.params = init.params ?? new Params();
  }

  get branch(): string | undefined {
    const b = this.params.get('branch');
    return typeof b === 'string' ? b : undefined;
  }

  get received(): string | undefined {
    const r = this.params.get('received');
    return typeof r === 'string' ? r : undefined;
  }

  /** RFC 3581: `true` when present without value (a request asking for it), the port when filled. */
  get rport(): number | true | undefined {
    const r = this.params.get('rport');
    if (r === undefined) return undefined;
    if (r === null) return true;
    const n = Number(r);
    return Number.isInteger(n) && n > 0 && n < 65536 ? n : true;
  }

  /** `host[:port]` as used in transaction matching (§17.2.3). */
  get sentBy(): string {
    return this.port === undefined ? this.host : this.host + ':' + this.port;
  }

  toString(): string {
    return `${this.protocolName}/${this.protocolVersion}/${this.transport} ${this.sentBy}${this.params.toString()}`;
  }
}

/** [token, index after the token and the white space that follows it, white space seen after it] */
function readProtocolPart(s: string, i: number): [string, number, boolean] | undefined {
  i = skipWsp(s, i);
  const end = scanToken(s, i);
  if (end === i) return undefined;
  const next = skipWsp(s, end);
  return [s.slice(i, end), next, next > end];
}

/** Parses one Via value (already split at top-level commas); undefined when malformed. */
export function parseVia(value: string): Via | undefined {
  const s = value.trim();
  const name = readProtocolPart(s, 0);
  if (!name || s.charCodeAt(name[1]) !== 0x2f) return undefined;
  const version = readProtocolPart(s, name[1] + 1);
  if (!version || s.charCodeAt(version[1]) !== 0x2f) return undefined;
  const transport = readProtocolPart(s, version[1] + 1);
  if (!transport) return undefined;
  if (!transport[2]) return undefined; // LWS is required between sent-protocol and sent-by
  let i = transport[1];
  let host: string;
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    if (close < 0) return undefined;
    host = s.slice(i, close + 1);
    i = close + 1;
  } else {
    const start = i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x3a || c === 0x3b || c === 0x20 || c === 0x09) break;
      i++;
    }
    host = s.slice(start, i);
  }
  if (!isValidHost(host)) return undefined;
  i = skipWsp(s, i);
  let port: number | undefined;
  if (s.charCodeAt(i) === 0x3a) {
    i = skipWsp(s, i + 1);
    const start = i;
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    if (i === start || i - start > 5) return undefined;
    port = Number(s.slice(start, i));
    if (port < 1 || port > 65535) return undefined;
  }
  const params = parseParams(s, i);
  if (!params) return undefined;
  return new Via({
    protocolName: name[0],
    protocolVersion: version[0],
    transport: transport[0],
    host,
    port,
    params,
  });
}

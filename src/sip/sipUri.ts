import { isIP } from 'node:net';
import { Params, parseParams } from './params.js';
import { hasWhitespaceOrControl, isTokenChar } from './syntax.js';

/**
 * SIP and SIPS URIs (RFC 3261 §19.1):
 *
 *   sip:user:password@host:port;uri-parameters?headers
 *
 * `user` and `password` stay %-escaped as received (comparison rules of §19.1.4 decode them; we
 * only compare hosts, ports and parameters we generated ourselves). `host` keeps IPv6 brackets.
 */
export class SipUri {
  scheme: 'sip' | 'sips';
  user: string | undefined;
  password: string | undefined;
  host: string;
  port: number | undefined;
  params: Params;
  /** Raw `hname=hvalue&...` after `?`, undefined when absent. */
  headers: string | undefined;

  constructor(init: {
    scheme?: 'sip' | 'sips';
    user?: string | undefined;
    password?: string | undefined;
    host: string;
    port?: number | undefined;
    params?: Params;
    headers?: string | undefined;
  }) {
    this.scheme = init.scheme ?? 'sip';
    this.user = init.user;
    this.password = init.password;
    this.host = init.host;
    this.port = init.port;
    this.params = init.params ?? new Params();
    this.headers = init.headers;
  }

  /** The host without IPv6 brackets, as sockets want it. */
  get address(): string {
    return this.host.startsWith('[') ? this.host.slice(1, -1) : this.host;
  }

  /** The `transport` URI parameter, lower-cased. */
  get transport(): string | undefined {
    const t = this.params.get('transport');
    return typeof t === 'string' ? t.toLowerCase() : undefined;
  }

  clone(): SipUri {
    return new SipUri({ ...this, params: this.params.clone() });
  }

  toString(): string {
    let s = this.scheme + ':';
    if (this.user !== undefined) {
      s += this.user;
      if (this.password !== undefined) s += ':' + this.password;
      s += '@';
    }
    s += this.host;
    if (this.port !== undefined) s += ':' + this.port;
    s += this.params.toString();
    if (this.headers !== undefined) s += '?' + this.headers;
    return s;
  }
}

/** Any other absoluteURI (tel:, http:, urn:, ...): kept opaque, RFC 4475 §3.3.2-§3.3.4. */
export class OtherUri {
  readonly scheme: string;
  readonly opaque: string;
  constructor(scheme: string, opaque: string) {
    this.scheme = scheme;
    this.opaque = opaque;
  }
  toString(): string {
    return this.scheme + ':' + this.opaque;
  }
}

export type Uri = SipUri | OtherUri;

export function isSipUri(uri: Uri | undefined): uri is SipUri {
  return uri instanceof SipUri;
}

function isSchemeChar(code: number, first: boolean): boolean {
  const alpha = (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
  if (first) return alpha;
  return alpha || (code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2d || code === 0x2e;
}

const HOSTNAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*\.?$/;

/**
 * An address as the `host` of a URI or a Via (RFC 3261 §25.1): IPv6 literals in brackets, anything
 * else as it is. The one place that rule lives (trunk targets, Contact, From, keep-alive probes).
 */
export function uriHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/** `host` of §25.1: hostname, IPv4address or `[` IPv6address `]`. */
export function isValidHost(host: string): boolean {
  if (host.length === 0 || host.length > 255) return false;
  if (host.charCodeAt(0) === 0x5b) return host.endsWith(']') && isIP(host.slice(1, -1)) === 6;
  return HOSTNAME.test(host);
}

function isUserChar(code: number): boolean {
  // unreserved / escaped / user-unreserved and password characters (§25.1), leniently merged.
  return (
    isTokenChar(code) ||
    code === 0x28 ||
    code === 0x29 ||
    code === 0x26 ||
    code === 0x3d ||
    code === 0x24 ||
    code === 0x2c ||
    code === 0x3b ||
    code === 0x3f ||
    code === 0x2f ||
    code === 0x3a ||
    code >= 0x80
  );
}

/** Parses any URI; SIP/SIPS become `SipUri`, other schemes `OtherUri`. Undefined when malformed. */
export function parseUri(s: string): Uri | undefined {
  if (s.length === 0 || s.length > 8192 || hasWhitespaceOrControl(s)) return undefined;
  const colon = s.indexOf(':');
  if (colon <= 0) return undefined;
  for (let i = 0; i < colon; i++) if (!isSchemeChar(s.charCodeAt(i), i === 0)) return undefined;
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') {
    const opaque = s.slice(colon + 1);
    if (opaque.length === 0 || /[<>"]/.test(opaque)) return undefined;
    return new OtherUri(scheme, opaque);
  }
  return parseSipUriRest(scheme, s, colon + 1);
}

/** Parses a URI that must be sip: or sips:. */
export function parseSipUri(s: string): SipUri | undefined {
  const uri = parseUri(s);
  return uri instanceof SipUri ? uri : undefined;
}

function parseSipUriRest(scheme: 'sip' | 'sips', s: string, start: number): SipUri | undefined {
  let user: string | undefined;
  let password: string | undefined;
  let i = start;
  const at = s.indexOf('@', start);
  if (at >= 0) {
    const userinfo = s.slice(start, at);
    for (let k = 0; k < userinfo.length; k++) if (!isUserChar(userinfo.charCodeAt(k))) return undefined;
    const pw = userinfo.indexOf(':');
    user = pw < 0 ? userinfo : userinfo.slice(0, pw);
    if (pw >= 0) password = userinfo.slice(pw + 1);
    if (user.length === 0) return undefined;
    i = at + 1;
  }
  // hostport ends at ';' (parameters) or '?' (headers)
  let end = i;
  if (s.charCodeAt(i) === 0x5b) {
    end = s.indexOf(']', i);
    if (end < 0) return undefined;
    end++;
  }
  while (end < s.length) {
    const c = s.charCodeAt(end);
    if (c === 0x3b || c === 0x3f) break;
    end++;
  }
  const hostport = s.slice(i, end);
  let host = hostport;
  let port: number | undefined;
  const portColon = hostport.lastIndexOf(':');
  if (portColon >= 0 && (hostport.charCodeAt(0) !== 0x5b || portColon > hostport.indexOf(']'))) {
    host = hostport.slice(0, portColon);
    const p = hostport.slice(portColon + 1);
    if (!/^\d{1,5}$/.test(p)) return undefined;
    port = Number(p);
    if (port > 65535) return undefined;
  }
  if (!isValidHost(host)) return undefined;
  let params = new Params();
  let headers: string | undefined;
  const q = s.indexOf('?', end);
  const paramsEnd = q < 0 ? s.length : q;
  if (paramsEnd > end) {
    const parsed = parseParams(s.slice(end, paramsEnd), 0);
    if (!parsed) return undefined;
    params = parsed;
  }
  if (q >= 0) {
    headers = s.slice(q + 1);
    if (headers.length === 0 || headers.includes('?')) return undefined;
  }
  return new SipUri({ scheme, user, password, host, port, params, headers });
}

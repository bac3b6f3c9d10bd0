import { createHash } from 'node:crypto';
import { newCnonce } from './ids.js';
import { isTokenChar, quote, scanQuoted, skipWsp, unquote } from './syntax.js';

/**
 * HTTP Digest authentication as SIP uses it (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760):
 * MD5 and SHA-256 (plus their -sess variants), with qop=auth / auth-int or the RFC 2069 form.
 */

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | undefined;
  algorithm: DigestAlgorithm;
  /** Offered qop values (empty: RFC 2069 compatibility, no qop). */
  qop: string[];
  stale: boolean;
}

export interface DigestCredentials {
  username: string;
  password: string;
}

/** Parses `name=value` pairs after the scheme; values may be quoted. Undefined when malformed. */
function parseAuthParams(s: string, i: number): Map<string, string> | undefined {
  const params = new Map<string, string>();
  while (i < s.length) {
    i = skipWsp(s, i);
    if (s.charCodeAt(i) === 0x2c) {
      i++;
      continue;
    }
    const start = i;
    while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
    if (i === start) return undefined;
    const name = s.slice(start, i).toLowerCase();
    i = skipWsp(s, i);
    if (s.charCodeAt(i) !== 0x3d) return undefined;
    i = skipWsp(s, i + 1);
    let value: string;
    if (s.charCodeAt(i) === 0x22) {
      const end = scanQuoted(s, i);
      if (end < 0) return undefined;
      value = unquote(s.slice(i, end));
      i = end;
    } else {
      const vStart = i;
      while (i < s.length && s.charCodeAt(i) !== 0x2c && s.charCodeAt(i) !== 0x20 && s.charCodeAt(i) !== 0x09)
        i++;
      value = s.slice(vStart, i);
    }
    params.set(name, value);
  }
  return params;
}

const ALGORITHMS: Record<string, DigestAlgorithm> = {
  md5: 'MD5',
  'md5-sess': 'MD5-sess',
  'sha-256': 'SHA-256',
  'sha-256-sess': 'SHA-256-sess',
};

/** Parses one WWW-Authenticate / Proxy-Authenticate value; undefined if it is not a usable Digest challenge. */
export function parseDigestChallenge(value: string): DigestChallenge | undefined {
  const s = value.trim();
  const sp = s.search(/[ \t]/);
  if (sp < 0 || s.slice(0, sp).toLowerCase() !== 'digest') return undefined;
  const params = parseAuthParams(s, sp);
  const realm = params?.get('realm');
  const nonce = params?.get('nonce');
  if (!params || realm === undefined || nonce === undefined) return undefined;
  const algorithm = ALGORITHMS[(params.get('algorithm') ?? 'MD5').toLowerCase()];
  if (!algorithm) return undefined;
  const qop = (params.get('qop') ?? '')
    .split(',')
    .map((q) => q.trim().toLowerCase())
    .filter((q) => q.length > 0);
  return {
    realm,
    nonce,
    opaque: params.get('opaque'),
    algorithm,
    qop,
    stale: (params.get('stale') ?? '').toLowerCase() === 'true',
  };
}

/**
 * Picks the challenge to answer among the header values of a 401/407 (RFC 8760 §2.4: the strongest
 * algorithm we support wins). Challenges with only qop values we do not support are skipped.
 */
export function chooseChallenge(values: readonly string[]): DigestChallenge | undefined {
  const rank: Record<DigestAlgorithm, number> = { 'SHA-256': 4, 'SHA-256-sess': 3, MD5: 2, 'MD5-sess': 1 };
  let best: DigestChallenge | undefined;
  for (const v of values) {
    const c = parseDigestChallenge(v);
    if (!c) continue;
    if (c.qop.length > 0 && !c.qop.includes('auth') && !c.qop.includes('auth-int')) continue;
    if (!best || rank[c.algorithm] > rank[best.algorithm]) best = c;
  }
  return best;
}

function hash(algorithm: DigestAlgorithm, data: string | Buffer): string {
  return createHash(algorithm.startsWith('SHA-256') ? 'sha256' : 'md5')
    .update(data)
    .digest('hex');
}

export interface DigestInput {
  challenge: DigestChallenge;
  credentials: DigestCredentials;
  method: string;
  /** The Request-URI as sent (`digest-uri`). */
  uri: string;
  /** Nonce count for this nonce, starting at 1. */
  nc: number;
  cnonce?: string;
  /** The body, needed for qop=auth-int. */
  body?: Buffer;
}

/** The digest `response` value (RFC 2617 §3.2.2.1, RFC 7616 §3.4.1). */
export function computeDigestResponse(
  input: DigestInput & { cnonce: string; qop: string | undefined },
): string {
  const { challenge, credentials, method, uri, qop, cnonce } = input;
  const alg = challenge.algorithm;
  let ha1 = hash(alg, `${credentials.username}:${challenge.realm}:${credentials.password}`);
  if (alg.endsWith('-sess')) ha1 = hash(alg, `${ha1}:${challenge.nonce}:${cnonce}`);
  const a2 =
    qop === 'auth-int' ? `${method}:${uri}:${hash(alg, input.body ?? Buffer.alloc(0))}` : `${method}:${uri}`;
  const ha2 = hash(alg, a2);
  if (!qop) return hash(alg, `${ha1}:${challenge.nonce}:${ha2}`);
  const nc = formatNc(input.nc);
  return hash(alg, `${ha1}:${challenge.nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
}

function formatNc(nc: number): string {
  return nc.toString(16).padStart(8, '0');
}

/** The Authorization / Proxy-Authorization header value answering a challenge. */
export function buildAuthorization(input: DigestInput): string {
  const { challenge } = input;
  const qop = challenge.qop.includes('auth')
    ? 'auth'
    : challenge.qop.includes('auth-int')
      ? 'auth-int'
      : undefined;
  const cnonce = input.cnonce ?? newCnonce();
  const response = computeDigestResponse({ ...input, cnonce, qop });
  const parts = [
    `Digest username=${quote(input.credentials.username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(input.uri)}`,
    `response=${quote(response)}`,
    `algorithm=${challenge.algorithm}`,
  ];
  if (qop) parts.push(`cnonce=${quote(cnonce)}`, `qop=${qop}`, `nc=${formatNc(input.nc)}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  return parts.join(', ');
}

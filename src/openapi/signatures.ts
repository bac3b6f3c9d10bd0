/**
 * The two signature schemes of Alibaba Cloud's RPC API (spec §8), computed the way the server
 * checks them. Pure functions: the fixed vectors of spec/signature-vectors.json pin them down.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { percentEncode } from './percentEncoding.js';

export const V3_ALGORITHM = 'ACS3-HMAC-SHA256';

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Canonical `name=value&...`: sorted by the raw name (then value), then both parts percent-encoded.
 * The SDKs sort with JavaScript's default order (UTF-16 code units) before encoding; so do we, since
 * sorting the encoded forms would differ ("{" sorts after "a" raw, but "%7B" before it).
 */
export function canonicalQuery(pairs: Iterable<readonly [string, string]>): string {
  const sorted = [...pairs].sort((a, b) => codeUnitCompare(a[0], b[0]) || codeUnitCompare(a[1], b[1]));
  let out = '';
  for (const [k, v] of sorted) out += (out ? '&' : '') + percentEncode(k) + '=' + percentEncode(v);
  return out;
}

function codeUnitCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** V1 (SignatureVersion 1.0, HMAC-SHA1): `METHOD&%2F&pct(canonical)`. */
export function v1StringToSign(method: string, params: Iterable<readonly [string, string]>): string {
  return method.toUpperCase() + '&' + percentEncode('/') + '&' + percentEncode(canonicalQuery(params));
}

export function v1Signature(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret + '&')
    .update(stringToSign, 'utf8')
    .digest('base64');
}

export interface V3CanonicalInput {
  method: string;
  /** Decoded query pairs (the form body is covered by the payload hash instead). */
  query: Iterable<readonly [string, string]>;
  /** Lower-case names in the order given by SignedHeaders. */
  signedHeaders: string[];
  headerValue: (name: string) => string | undefined;
  payloadHash: string;
}

export function v3CanonicalRequest(input: V3CanonicalInput): string {
  let headers = '';
  for (const name of input.signedHeaders)
    headers += name + ':' + (input.headerValue(name) ?? '').trim() + '\n';
  return [
    input.method.toUpperCase(),
    '/',
    canonicalQuery(input.query),
    headers,
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

export function v3StringToSign(canonicalRequest: string): string {
  return V3_ALGORITHM + '\n' + sha256Hex(canonicalRequest);
}

export function v3Signature(secret: string, stringToSign: string): string {
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest('hex');
}

export interface V3Authorization {
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

const V3_AUTH =
  /^ACS3-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]+)\s*$/;

/** Parses `ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`; undefined when garbled. */
export function parseV3Authorization(header: string): V3Authorization | undefined {
  const m = V3_AUTH.exec(header);
  if (!m) return undefined;
  return {
    accessKeyId: m[1]!,
    signedHeaders: m[2]!.split(';').map((h) => h.trim().toLowerCase()),
    signature: m[3]!.toLowerCase(),
  };
}

/** Constant-time comparison of two signature strings. */
export function signaturesEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

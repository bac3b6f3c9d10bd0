/**
 * AWS Signature Version 4 (HMAC-SHA256), by hand on node:crypto: the Authorization header and
 * presigned URLs (query authentication). Pure: the time comes in as `amzDate` (`yyyyMMddTHHmmssZ`).
 *
 * Paths and query parameters are given decoded; both the canonical request and the wire URL encode
 * them the same way (RFC 3986 unreserved characters kept, every other byte `%XX`, `/` kept in
 * paths), so what is signed is what is sent. S3 encodes the path once (AWS's test suite for other
 * services signs already-encoded paths, which comes to the same for the paths we send).
 */
import { createHash, createHmac } from 'node:crypto';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignTarget {
  method: string;
  /** `host[:port]` as sent in the Host header. */
  host: string;
  /** Decoded path, starting with `/`. */
  path: string;
  /** Decoded query parameters (order does not matter). */
  query?: readonly (readonly [string, string])[];
  region: string;
  service: string;
  /** `yyyyMMddTHHmmssZ`. */
  amzDate: string;
}

/** The hash of an empty body, and the marker for a body left out of the signature. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** S3 refuses presigned URLs valid longer than 7 days. */
export const MAX_PRESIGN_SECONDS = 604_800;

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RFC 3986 percent-encoding of UTF-8 (AWS's UriEncode); `/` kept when `keepSlash`. */
export function uriEncode(value: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function encodedPath(path: string): string {
  return uriEncode(path, true);
}

export function canonicalQuery(query: readonly (readonly [string, string])[] = []): string {
  return query
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** The amzDate of an epoch-ms instant. */
export function amzDateOf(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export function signingKey(secret: string, day: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(day).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

export interface Signature {
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
  signature: string;
  scope: string;
}

function sign(
  t: SignTarget,
  creds: Credentials,
  headers: Readonly<Record<string, string>>,
  payloadHash: string,
  query: readonly (readonly [string, string])[],
): Signature {
  const names = Object.keys(headers)
    .map((n) => [n.toLowerCase(), n] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalHeaders = names
    .map(([lower, n]) => `${lower}:${String(headers[n]).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const signedHeaders = names.map(([lower]) => lower).join(';');
  const canonicalRequest = [
    t.method.toUpperCase(),
    encodedPath(t.path),
    canonicalQuery(query),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const day = t.amzDate.slice(0, 8);
  const scope = `${day}/${t.region}/${t.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', t.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', signingKey(creds.secretAccessKey, day, t.region, t.service))
    .update(stringToSign)
    .digest('hex');
  return { canonicalRequest, stringToSign, signedHeaders, signature, scope };
}

/**
 * Signs a request in its Authorization header. `headers` are the ones to sign besides `host`
 * (added from the target) — `x-amz-date` is expected among them, as AWS requires.
 */
export function signHeaders(
  t: SignTarget,
  creds: Credentials,
  headers: Readonly<Record<string, string>>,
  payloadHash: string,
): Signature & { authorization: string } {
  const all = { host: t.host, ...headers };
  const s = sign(t, creds, all, payloadHash, t.query ?? []);
  return {
    ...s,
    authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${s.scope}, SignedHeaders=${s.signedHeaders}, Signature=${s.signature}`,
  };
}

/**
 * A presigned URL (query authentication, only `host` signed, payload UNSIGNED-PAYLOAD as S3 wants
 * for presigned requests) valid `expiresSeconds` (1 … 604800) from `amzDate`.
 */
export function presign(
  t: SignTarget,
  creds: Credentials,
  expiresSeconds: number,
  scheme: 'http' | 'https' = 'https',
): string {
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGN_SECONDS)
    throw new RangeError(`a presigned URL expires within 1 to ${MAX_PRESIGN_SECONDS} seconds`);
  const day = t.amzDate.slice(0, 8);
  const auth: [string, string][] = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${creds.accessKeyId}/${day}/${t.region}/${t.service}/aws4_request`],
    ['X-Amz-Date', t.amzDate],
    ['X-Amz-Expires', String(expiresSeconds)],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  const query = [...(t.query ?? []), ...auth];
  const s = sign(t, creds, { host: t.host }, UNSIGNED_PAYLOAD, query);
  return `${scheme}://${t.host}${encodedPath(t.path)}?${canonicalQuery(query)}&X-Amz-Signature=${s.signature}`;
}

export const __forTests = { sign };

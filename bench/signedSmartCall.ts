/**
 * The benches' SmartCall request, signed exactly as the official SDK signs it (V3
 * ACS3-HMAC-SHA256, params in the query) and serialised once, before any clock starts: a load
 * generator then only writes bytes. Each request carries its own nonce. Shared by bench:api and
 * bench:cluster, so both sides of a comparison send the same bytes.
 */
import { randomBytes } from 'node:crypto';
import { percentEncode } from '../src/openapi/percentEncoding.js';
import { sha256Hex, v3CanonicalRequest, v3Signature, v3StringToSign } from '../src/openapi/signatures.js';

export const BENCH_DISPLAY_NUMBER = '057188880000';
const EMPTY_HASH = sha256Hex('');

export interface SignedSmartCallOptions {
  port: number;
  accessKeyId: string;
  secret: string;
  /** Varies the callee (`1590000xxxx`) and the OutId. */
  i: number;
  /** A fixed callee instead of `1590000xxxx`. */
  called?: string;
  /** Adds `RecordFlag=true` (bench:api's request). */
  record?: boolean;
}

/** One keep-alive `POST /?…` with an empty body, as bytes. */
export function signedSmartCall(o: SignedSmartCallOptions): Buffer {
  const query: [string, string][] = [
    ['CalledNumber', o.called ?? `1590000${String(o.i % 10000).padStart(4, '0')}`],
    ['CalledShowNumber', BENCH_DISPLAY_NUMBER],
    ['OutId', `bench-${o.i % 100000}`],
    ...(o.record ? ([['RecordFlag', 'true']] as [string, string][]) : []),
    ['VoiceCode', '$name$'],
    ['VoiceCodeParam', '{"name":"您好，这里是回访电话"}'],
  ];
  const headers: Record<string, string> = {
    host: `127.0.0.1:${o.port}`,
    'x-acs-action': 'SmartCall',
    'x-acs-version': '2017-05-25',
    'x-acs-date': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    'x-acs-signature-nonce': randomBytes(16).toString('hex'),
    'x-acs-content-sha256': EMPTY_HASH,
  };
  const names = Object.keys(headers).sort();
  const sts = v3StringToSign(
    v3CanonicalRequest({
      method: 'POST',
      query,
      signedHeaders: names,
      headerValue: (h) => headers[h],
      payloadHash: EMPTY_HASH,
    }),
  );
  headers.authorization = `ACS3-HMAC-SHA256 Credential=${o.accessKeyId},SignedHeaders=${names.join(';')},Signature=${v3Signature(o.secret, sts)}`;
  headers.accept = 'application/json';
  let head = `POST /?${query.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&')} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  return Buffer.from(`${head}content-length: 0\r\nconnection: keep-alive\r\n\r\n`, 'latin1');
}

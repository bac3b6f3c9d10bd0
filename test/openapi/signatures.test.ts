import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUrlEncoded, percentEncode } from '../../src/openapi/percentEncoding.js';
import {
  canonicalQuery,
  parseV3Authorization,
  v1Signature,
  v1StringToSign,
  v3CanonicalRequest,
  v3Signature,
  v3StringToSign,
} from '../../src/openapi/signatures.js';
import { SECRET, V1_PARAMS, V3_HEADERS, V3_QUERY, VECTORS } from '../fixtures/signatureVectors.js';

test('V1 canonical query sorts by name and encodes per RFC 3986', () => {
  assert.equal(canonicalQuery(Object.entries(V1_PARAMS)), VECTORS.v1GET.canonicalized);
});

test('V1 GET string to sign and signature match the vector', () => {
  const sts = v1StringToSign('GET', Object.entries(V1_PARAMS));
  assert.equal(sts, VECTORS.v1GET.stringToSign);
  assert.equal(v1Signature(SECRET, sts), VECTORS.v1GET.signature);
});

test('V1 POST signs the same parameters with POST in front', () => {
  const sts = v1StringToSign('POST', Object.entries(V1_PARAMS));
  assert.equal(sts, VECTORS.v1POST.stringToSign);
  assert.equal(v1Signature(SECRET, sts), VECTORS.v1POST.signature);
});

test("Alibaba's published V1 documentation vector verifies", () => {
  assert.equal(v1Signature('testsecret', VECTORS.docVectorV1.stringToSign), VECTORS.docVectorV1.expected);
});

test('V3 canonical request, string to sign and signature match the vector', () => {
  const signed = VECTORS.v3.authorization.match(/SignedHeaders=([^,]+)/)![1]!.split(';');
  const canonical = v3CanonicalRequest({
    method: 'POST',
    query: Object.entries(V3_QUERY),
    signedHeaders: signed,
    headerValue: (name) => V3_HEADERS[name],
    payloadHash: V3_HEADERS['x-acs-content-sha256']!,
  });
  assert.equal(canonical, VECTORS.v3.canonicalRequest);
  const sts = v3StringToSign(canonical);
  assert.equal(sts, VECTORS.v3.stringToSign);
  assert.equal(v3Signature(SECRET, sts), VECTORS.v3.signature);
});

test('V3 Authorization header parses into key, signed headers and signature', () => {
  const auth = parseV3Authorization(VECTORS.v3.authorization)!;
  assert.equal(auth.accessKeyId, 'LTAI5tFAKEKEYID000000000');
  assert.deepEqual(auth.signedHeaders.slice(0, 2), ['host', 'x-acs-action']);
  assert.equal(auth.signature, VECTORS.v3.signature);
  assert.equal(parseV3Authorization('ACS3-HMAC-SHA256 Credential=x'), undefined);
});

test('percent-encoding escapes the characters the SDKs disagree on', () => {
  assert.equal(percentEncode("a b*c~d(e)f!g'h"), 'a%20b%2Ac~d%28e%29f%21g%27h');
  assert.equal(percentEncode('张'), '%E5%BC%A0');
});

test('wire decoding treats + as space and differently escaped forms alike', () => {
  const sdkWire = 'VoiceCodeParam=%7B%22name%22%3A%22%E5%BC%A0%E4%B8%89%20(VIP)*%22%7D&x=a+b';
  const popWire = 'VoiceCodeParam=%7B%22name%22%3A%22%E5%BC%A0%E4%B8%89%20%28VIP%29%2A%22%7D&x=a%20b';
  assert.deepEqual(parseUrlEncoded(sdkWire), parseUrlEncoded(popWire));
  assert.deepEqual(parseUrlEncoded('flag&=v&&a=1=2'), [
    ['flag', ''],
    ['', 'v'],
    ['a', '1=2'],
  ]);
  assert.throws(() => parseUrlEncoded('a=%E5%BC'), /malformed/);
});

test('canonical order follows the raw names, as the SDKs sort before encoding', () => {
  // "{" sorts after "a" raw but "%7B" would sort before it.
  assert.equal(
    canonicalQuery([
      ['{', '1'],
      ['a', '2'],
    ]),
    'a=2&%7B=1',
  );
});

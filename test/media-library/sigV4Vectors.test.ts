/**
 * Our SigV4 signer against AWS's PUBLISHED examples. Every expected signature below is copied from
 * AWS material, never from this implementation's output:
 *  - the IAM ListUsers example of the SigV4 documentation ("Create a signed AWS API request"),
 *  - the S3 API reference, "Signature Calculations for the Authorization Header" (GET object with
 *    a range, PUT object, GET bucket lifecycle, list objects) and "Query String Authentication"
 *    (the presigned GET of test.txt),
 *  - the aws-sig-v4-test-suite as shipped in awslabs/aws-c-auth
 *    (tests/aws-signing-test-suite/v4/<name>/header-signed-request.txt).
 * These vectors are what proves the signing: s3rver, the S3-compatible server of the other tests,
 * does not verify SigV4 signatures (see recordingStorage.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  EMPTY_SHA256,
  MAX_PRESIGN_SECONDS,
  presign,
  type SignTarget,
  sha256Hex,
  signHeaders,
} from '../../src/media-library/objects/sigV4.js';

const SUITE_CREDS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const S3_CREDS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const SUITE_DATE = '20150830T123600Z';
const S3_DATE = '20130524T000000Z';

function suite(path: string, query: [string, string][] = []): SignTarget {
  return {
    method: 'GET',
    host: 'example.amazonaws.com',
    path,
    query,
    region: 'us-east-1',
    service: 'service',
    amzDate: SUITE_DATE,
  };
}

function s3(method: string, path: string, query: [string, string][] = []): SignTarget {
  return {
    method,
    host: 'examplebucket.s3.amazonaws.com',
    path,
    query,
    region: 'us-east-1',
    service: 's3',
    amzDate: S3_DATE,
  };
}

describe('SigV4 signing matches the AWS documentation examples', () => {
  test('IAM ListUsers (GET with a query and a content type) signs to 5d672d79…', () => {
    const s = signHeaders(
      {
        method: 'GET',
        host: 'iam.amazonaws.com',
        path: '/',
        query: [
          ['Action', 'ListUsers'],
          ['Version', '2010-05-08'],
        ],
        region: 'us-east-1',
        service: 'iam',
        amzDate: SUITE_DATE,
      },
      SUITE_CREDS,
      { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'X-Amz-Date': SUITE_DATE },
      EMPTY_SHA256,
    );
    assert.equal(
      s.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, ' +
        'SignedHeaders=content-type;host;x-amz-date, ' +
        'Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });

  test('S3 GET object with a Range header signs to f0e8bdb8…', () => {
    const s = signHeaders(
      s3('GET', '/test.txt'),
      S3_CREDS,
      { Range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-date': S3_DATE },
      EMPTY_SHA256,
    );
    assert.equal(s.signedHeaders, 'host;range;x-amz-content-sha256;x-amz-date');
    // The published string to sign, then the signature.
    assert.equal(
      s.stringToSign,
      'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n' +
        '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
    );
    assert.equal(s.signature, 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });

  test('S3 PUT object "test$file.text" with a signed body signs to 98ad7217…', () => {
    const body = 'Welcome to Amazon S3.';
    const hash = sha256Hex(body);
    assert.equal(hash, '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072'); // as published
    const s = signHeaders(
      s3('PUT', '/test$file.text'),
      S3_CREDS,
      {
        Date: 'Fri, 24 May 2013 00:00:00 GMT',
        'x-amz-date': S3_DATE,
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': hash,
      },
      hash,
    );
    assert.match(s.canonicalRequest, /^PUT\n\/test%24file\.text\n/);
    assert.equal(s.signature, '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  });

  test('S3 GET bucket lifecycle (an empty query value) signs to fea454ca…', () => {
    const s = signHeaders(
      s3('GET', '/', [['lifecycle', '']]),
      S3_CREDS,
      { 'x-amz-date': S3_DATE, 'x-amz-content-sha256': EMPTY_SHA256 },
      EMPTY_SHA256,
    );
    assert.equal(s.signature, 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  });

  test('S3 list objects (?max-keys=2&prefix=J) signs to 34b48302…', () => {
    const s = signHeaders(
      s3('GET', '/', [
        ['prefix', 'J'],
        ['max-keys', '2'],
      ]),
      S3_CREDS,
      { 'x-amz-date': S3_DATE, 'x-amz-content-sha256': EMPTY_SHA256 },
      EMPTY_SHA256,
    );
    assert.equal(s.signature, '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });

  test('S3 presigned GET of test.txt for 86400 s signs to aeeed9bb…', () => {
    const url = presign(s3('GET', '/test.txt'), S3_CREDS, 86_400, 'https');
    assert.equal(
      url,
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
        '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
        '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });

  test('a presigned URL may not outlive S3’s 7 days', () => {
    assert.throws(() => presign(s3('GET', '/k'), S3_CREDS, MAX_PRESIGN_SECONDS + 1), /604800/);
    assert.throws(() => presign(s3('GET', '/k'), S3_CREDS, 0), /604800/);
  });
});

describe('SigV4 signing matches the aws-sig-v4-test-suite', () => {
  const dated = { 'X-Amz-Date': SUITE_DATE };
  const cases: [string, SignTarget, string][] = [
    ['get-vanilla', suite('/'), '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    [
      'get-vanilla-query-order-key-case (parameters sorted)',
      suite('/', [
        ['Param2', 'value2'],
        ['Param1', 'value1'],
      ]),
      'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    ],
    [
      'get-space (a space in the path)',
      suite('/example space/'),
      '652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741',
    ],
    [
      'get-utf8 (UTF-8 in the path)',
      suite('/ሴ'),
      '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85',
    ],
    [
      'get-vanilla-utf8-query (UTF-8 in a query key)',
      suite('/', [['ሴ', 'bar']]),
      '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04',
    ],
    [
      'get-unreserved (nothing encoded)',
      suite('/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
      '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
    ],
  ];
  for (const [name, target, signature] of cases) {
    test(name, () => {
      const s = signHeaders(target, SUITE_CREDS, dated, EMPTY_SHA256);
      assert.equal(
        s.authorization,
        `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
      );
    });
  }

  test('post-x-www-form-urlencoded (a signed body and its length and type)', () => {
    const hash = sha256Hex('Param1=value1');
    const s = signHeaders(
      { ...suite('/'), method: 'POST' },
      SUITE_CREDS,
      {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Length': '13',
        'x-amz-content-sha256': hash,
        'X-Amz-Date': SUITE_DATE,
      },
      hash,
    );
    assert.equal(s.signedHeaders, 'content-length;content-type;host;x-amz-content-sha256;x-amz-date');
    assert.equal(s.signature, 'd3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b');
  });
});

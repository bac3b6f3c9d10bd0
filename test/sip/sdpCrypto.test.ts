import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildAnswer,
  buildOffer,
  describeSdp,
  type LocalSrtp,
  parseAnswer,
  readLocalSrtp,
  type SdesCrypto,
} from '../../src/sip/sdp.js';

const KEY_A = Buffer.alloc(30, 1).toString('base64');
const KEY_B = Buffer.alloc(30, 2).toString('base64');
const KEY_PEER = Buffer.alloc(30, 3).toString('base64');
const OURS: SdesCrypto[] = [
  { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', key: KEY_A },
  { tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', key: KEY_B },
];
const local = (policy: LocalSrtp['policy']) => ({
  ip: '127.0.0.1',
  port: 40000,
  srtp: { policy, crypto: OURS },
});

function peerSdp(protocol: string, cryptoLines: string[]): string {
  return [
    'v=0',
    'o=peer 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio 30000 ${protocol} 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    ...cryptoLines,
    '',
  ].join('\r\n');
}

describe('SDES offers (RFC 4568)', () => {
  test('required: RTP/SAVP with a crypto line per suite, _80 first', () => {
    const sdp = buildOffer(local('required'));
    assert.match(sdp, /m=audio 40000 RTP\/SAVP 0 8 101/);
    assert.match(sdp, new RegExp(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${reEscape(KEY_A)}\r\n`));
    assert.match(sdp, new RegExp(`a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${reEscape(KEY_B)}\r\n`));
    assert.ok(sdp.indexOf('_80') < sdp.indexOf('_32'));
  });

  test('optional: RTP/AVP carrying the crypto lines (best-effort SDES)', () => {
    const sdp = buildOffer(local('optional'));
    assert.match(sdp, /m=audio 40000 RTP\/AVP /);
    assert.equal(sdp.match(/a=crypto:/g)?.length, 2);
  });

  test('off: no crypto line, RTP/AVP', () => {
    const sdp = buildOffer({ ip: '127.0.0.1', port: 40000 });
    assert.match(sdp, /RTP\/AVP/);
    assert.doesNotMatch(sdp, /a=crypto/);
  });
});

describe('SDES answers to our offer', () => {
  const offer = buildOffer(local('required'));

  test('an answer repeating one offered tag and suite is used, with the peer key', () => {
    const r = parseAnswer(
      peerSdp('RTP/SAVP', [`a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${KEY_PEER}|2^31`]),
      undefined,
      offer,
    );
    assert.ok(r.ok);
    assert.deepEqual(r.value.crypto, [{ tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', key: KEY_PEER }]);
    assert.equal(r.value.secure, true);
  });

  test('to an RTP/SAVP offer, an answer without crypto fails with no-crypto', () => {
    const r = parseAnswer(peerSdp('RTP/AVP', []), undefined, offer);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'no-crypto');
  });

  test('an answer naming a tag we did not offer (or with a mismatched suite) fails', () => {
    for (const line of [
      `a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:${KEY_PEER}`,
      `a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${KEY_PEER}`,
    ]) {
      const r = parseAnswer(peerSdp('RTP/SAVP', [line]), undefined, offer);
      assert.ok(!r.ok, line);
    }
  });

  test('to an optional offer, a plain answer means plain RTP', () => {
    const r = parseAnswer(peerSdp('RTP/AVP', []), undefined, buildOffer(local('optional')));
    assert.ok(r.ok);
    assert.deepEqual(r.value.crypto, []);
  });
});

describe('answering an offer with crypto', () => {
  test('picks the first offered suite we support, keeps its tag and answers with our key', () => {
    const offer = peerSdp('RTP/SAVP', [
      `a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:${Buffer.alloc(46, 9).toString('base64')}`,
      `a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${KEY_PEER}`,
      `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${KEY_PEER}`,
    ]);
    const r = buildAnswer(offer, local('optional'));
    assert.ok(r.ok);
    assert.match(r.value.sdp, /m=audio 40000 RTP\/SAVP 0 101/);
    assert.match(r.value.sdp, new RegExp(`a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${reEscape(KEY_B)}\r\n`));
    assert.equal(r.value.sdp.match(/a=crypto:/g)?.length, 1);
    assert.deepEqual(r.value.remote.crypto, [{ tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', key: KEY_PEER }]);
  });

  test('an RTP/SAVP offer with no suite we support is refused (no-crypto → 488)', () => {
    const r = buildAnswer(
      peerSdp('RTP/SAVP', [`a=crypto:1 AEAD_AES_128_GCM inline:${Buffer.alloc(28).toString('base64')}`]),
      local('optional'),
    );
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'no-crypto');
    assert.ok(!buildAnswer(peerSdp('RTP/SAVP', []), { ip: '127.0.0.1', port: 1 }).ok, 'SRTP off');
  });

  test('a plain offer: answered plainly, unless SRTP is required', () => {
    const plain = peerSdp('RTP/AVP', []);
    const ok = buildAnswer(plain, local('optional'));
    assert.ok(ok.ok);
    assert.doesNotMatch(ok.value.sdp, /a=crypto/);
    const refused = buildAnswer(plain, local('required'));
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'no-crypto');
  });

  test('crypto lines with an MKI, a bad key length or session parameters are not usable', () => {
    const d = describeSdp(
      peerSdp('RTP/AVP', [
        `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_PEER}|2^20|1:4`,
        `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.alloc(16).toString('base64')}`,
        `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${KEY_PEER} UNENCRYPTED_SRTP`,
        `a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:${KEY_PEER}|2^20`,
      ]),
    );
    assert.ok(d.ok);
    assert.deepEqual(
      d.value.crypto?.map((c) => c.tag),
      [4],
    );
  });

  test('our own SDP gives back our keys for a re-INVITE answer', () => {
    const srtp = readLocalSrtp(buildOffer(local('required')));
    assert.deepEqual(srtp, { policy: 'required', crypto: OURS });
    assert.equal(readLocalSrtp(buildOffer({ ip: '127.0.0.1', port: 1 })), undefined);
  });
});

function reEscape(s: string): string {
  return s.replace(/[+/=]/g, (c) => `\\${c}`);
}

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  aesCmKeystream,
  deriveSessionKeys,
  estimateIndex,
  SRTP_REPLAY_WINDOW,
  SrtpReceiver,
  SrtpSender,
  type SrtpSuite,
} from '../../src/rtp/srtp.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 3711 Appendix B.3 (also libsrtp's srtp_driver test key).
const MASTER = Buffer.concat([hex('E1F97A0D3E018BE0D64FA32C06DE4139'), hex('0EC675AD498AFEEBB6960B3AABE6')]);

describe('RFC 3711 test vectors', () => {
  test('B.2: the AES-CM keystream for key 2B7E… and IV F0F1…FD0000', () => {
    const stream = aesCmKeystream(
      hex('2B7E151628AED2A6ABF7158809CF4F3C'),
      hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000'),
      48,
    );
    assert.equal(
      stream.toString('hex'),
      'e03ead0935c95e80e166b16dd92b4eb4d23513162b02d0f72a43a2fe4a5f97ab41e95b3bb0a2e8dd477901e4fca894c0',
    );
  });

  test('B.3: session encryption key, salt and authentication key from the master key', () => {
    const keys = deriveSessionKeys(MASTER);
    assert.equal(keys.cipherKey.toString('hex'), 'c61e7a93744f39ee10734afe3ff7a087');
    assert.equal(keys.salt.toString('hex'), '30cbbc08863d8c85d49db34a9ae1');
    assert.equal(keys.authKey.toString('hex'), 'cebe321f6ff7716b6fd4ab49af256a156d38baa4');
  });

  test("libsrtp's reference packet protects to its reference ciphertext and tag (_80)", () => {
    const plain = hex('800f1234decafbadcafebabe' + 'ab'.repeat(16));
    const packet = Buffer.alloc(plain.length + 10);
    plain.copy(packet);
    const sender = new SrtpSender('AES_CM_128_HMAC_SHA1_80', MASTER);
    assert.equal(sender.protect(packet, plain.length), 38);
    assert.equal(
      packet.toString('hex'),
      '800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb',
    );
    const receiver = new SrtpReceiver('AES_CM_128_HMAC_SHA1_80', MASTER);
    assert.equal(receiver.unprotect(packet, 38), plain.length);
    assert.deepEqual(packet.subarray(0, plain.length), plain);
  });
});

function rtp(seq: number, payload: number, ssrc = 0x12345678): Buffer {
  const b = Buffer.alloc(12 + 160 + 10);
  b[0] = 0x80;
  b[1] = 0;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(ssrc, 8);
  b.fill(payload, 12, 172);
  return b;
}

for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as SrtpSuite[]) {
  describe(suite, () => {
    const tag = suite.endsWith('_80') ? 10 : 4;

    test('a packet round-trips, and the payload on the wire is not the plain payload', () => {
      const sender = new SrtpSender(suite, MASTER);
      const receiver = new SrtpReceiver(suite, MASTER);
      const p = rtp(100, 0x55);
      const len = sender.protect(p, 172);
      assert.equal(len, 172 + tag);
      assert.notDeepEqual(p.subarray(12, 172), Buffer.alloc(160, 0x55));
      assert.equal(receiver.unprotect(p, len), 172);
      assert.deepEqual(p.subarray(12, 172), Buffer.alloc(160, 0x55));
    });

    test('a tampered payload, header or tag is dropped as an auth failure and left unplayed', () => {
      for (const at of [1, 20, 171, 172 + tag - 1]) {
        const sender = new SrtpSender(suite, MASTER);
        const receiver = new SrtpReceiver(suite, MASTER);
        const p = rtp(7, 0x11);
        const len = sender.protect(p, 172);
        p[at]! ^= 0x01;
        assert.equal(receiver.unprotect(p, len), 'auth', `flipped byte ${at}`);
        // The stream was not started by the forgery: the genuine packet still passes.
        const q = rtp(7, 0x11);
        new SrtpSender(suite, MASTER).protect(q, 172);
        assert.equal(receiver.unprotect(q, len), 172);
      }
    });

    test('a packet under another key fails authentication', () => {
      const other = Buffer.from(MASTER);
      other[0]! ^= 0xff;
      const p = rtp(1, 0x22);
      const len = new SrtpSender(suite, other).protect(p, 172);
      assert.equal(new SrtpReceiver(suite, MASTER).unprotect(p, len), 'auth');
    });

    test('a replayed packet is dropped; late but unseen packets within the window pass', () => {
      const sender = new SrtpSender(suite, MASTER);
      const receiver = new SrtpReceiver(suite, MASTER);
      const sent = [10, 11, 12, 13].map((seq) => {
        const p = rtp(seq, seq);
        return { p, len: sender.protect(p, 172) };
      });
      const copy = Buffer.from(sent[1]!.p);
      assert.equal(receiver.unprotect(sent[0]!.p, sent[0]!.len), 172);
      assert.equal(receiver.unprotect(sent[1]!.p, sent[1]!.len), 172);
      assert.equal(receiver.unprotect(sent[3]!.p, sent[3]!.len), 172);
      assert.equal(receiver.unprotect(copy, sent[1]!.len), 'replay');
      assert.equal(receiver.unprotect(sent[2]!.p, sent[2]!.len), 172, 'reordered, not replayed');
    });

    test('a packet older than the replay window is dropped', () => {
      const sender = new SrtpSender(suite, MASTER);
      const receiver = new SrtpReceiver(suite, MASTER);
      const old = rtp(1, 1);
      const oldLen = sender.protect(old, 172);
      for (let seq = 2; seq < 2 + SRTP_REPLAY_WINDOW + 1; seq++) {
        const p = rtp(seq, 1);
        assert.equal(receiver.unprotect(p, sender.protect(p, 172)), 172);
      }
      assert.equal(receiver.unprotect(old, oldLen), 'replay');
    });

    test('the rollover counter follows a sequence-number wrap on both sides', () => {
      const sender = new SrtpSender(suite, MASTER);
      const receiver = new SrtpReceiver(suite, MASTER);
      for (const seq of [65533, 65534, 65535, 0, 1, 2]) {
        const p = rtp(seq, seq & 0xff);
        const len = sender.protect(p, 172);
        assert.equal(receiver.unprotect(p, len), 172, `seq ${seq}`);
        assert.deepEqual(p.subarray(12, 172), Buffer.alloc(160, seq & 0xff));
      }
      assert.equal(sender.rolloverCounter, 1);
    });

    test('two SSRCs keep separate replay windows', () => {
      const receiver = new SrtpReceiver(suite, MASTER);
      const a = rtp(5, 1, 0xaaaa);
      const b = rtp(5, 1, 0xbbbb);
      const la = new SrtpSender(suite, MASTER).protect(a, 172);
      const lb = new SrtpSender(suite, MASTER).protect(b, 172);
      assert.equal(receiver.unprotect(a, la), 172);
      assert.equal(receiver.unprotect(b, lb), 172);
    });
  });
}

test('index estimation (RFC 3711 §3.3.1) picks ROC-1, ROC or ROC+1', () => {
  assert.equal(estimateIndex(100, 101), 101);
  assert.equal(estimateIndex(65535, 0), 65536, 'wrap forward');
  assert.equal(estimateIndex(65536 + 2, 65530), 65530, 'late packet from before the wrap');
  assert.equal(estimateIndex(70000, 40000), 40000, 'closer below than above');
  assert.equal(estimateIndex(65536 + 40000, 100), 2 * 65536 + 100, 'wrap forward from the upper half');
  assert.ok(estimateIndex(10, 60000) < 0, 'before the stream began');
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildAnswer, buildOffer, parseAnswer } from '../../src/sip/sdp.js';

const sdpWith = (m: string, extra = '') =>
  `v=0\r\no=peer 1 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n${m}\r\n${extra}`;

describe('SDP with G.722', () => {
  test('an offer with G722 first lists G722/8000 on payload type 9 first (RFC 3551: clock 8000)', () => {
    const sdp = buildOffer({ ip: '192.0.2.7', port: 31000, codecs: ['G722', 'PCMA'] });
    assert.match(sdp, /^m=audio 31000 RTP\/AVP 9 8 101\r$/m);
    assert.match(sdp, /^a=rtpmap:9 G722\/8000\r$/m);
  });

  test('an answer taking G722 (by rtpmap or by the static type alone) runs G.722, if we offered it', () => {
    const offer = buildOffer({ ip: '192.0.2.7', port: 31000, codecs: ['G722', 'PCMU'] });
    for (const answer of [
      sdpWith('m=audio 40000 RTP/AVP 9', 'a=rtpmap:9 G722/8000\r\n'),
      sdpWith('m=audio 40000 RTP/AVP 9'),
    ]) {
      const r = parseAnswer(answer, undefined, offer);
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.value.codec, { payloadType: 9, name: 'G722', clockRate: 8000 });
    }
    const narrow = buildOffer({ ip: '192.0.2.7', port: 31000 });
    const r = parseAnswer(sdpWith('m=audio 40000 RTP/AVP 9'), undefined, narrow);
    assert.ok(!r.ok && r.error.code === 'no-common-codec', 'G722 we did not offer is refused');
  });

  test('G722/16000 (a wrong clock) is not taken for G.722', () => {
    const offer = buildOffer({ ip: '192.0.2.7', port: 31000, codecs: ['G722', 'PCMU'] });
    const r = parseAnswer(
      sdpWith('m=audio 40000 RTP/AVP 96 0', 'a=rtpmap:96 G722/16000\r\n'),
      undefined,
      offer,
    );
    assert.ok(r.ok);
    assert.equal(r.value.codec.name, 'PCMU');
  });

  test('answering, the offerer’s order decides: G722 first is taken, G722 after PCMU is not', () => {
    const first = buildAnswer(
      sdpWith('m=audio 40000 RTP/AVP 9 0 101', 'a=rtpmap:101 telephone-event/8000\r\n'),
      {
        ip: '192.0.2.7',
        port: 31000,
      },
    );
    assert.ok(first.ok);
    assert.equal(first.value.remote.codec.name, 'G722');
    assert.match(first.value.sdp, /^m=audio 31000 RTP\/AVP 9 101\r$/m);
    assert.match(first.value.sdp, /^a=rtpmap:9 G722\/8000\r$/m);
    const second = buildAnswer(sdpWith('m=audio 40000 RTP/AVP 0 9'), { ip: '192.0.2.7', port: 31000 });
    assert.ok(second.ok);
    assert.equal(second.value.remote.codec.name, 'PCMU');
    const narrowed = buildAnswer(sdpWith('m=audio 40000 RTP/AVP 9 8'), {
      ip: '192.0.2.7',
      port: 31000,
      codecs: ['PCMU', 'PCMA'],
    });
    assert.ok(narrowed.ok);
    assert.equal(narrowed.value.remote.codec.name, 'PCMA');
  });
});

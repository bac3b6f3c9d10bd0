import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildAnswer, buildOffer, describeSdp, parseAnswer } from '../../src/sip/sdp.js';

const answerFrom = (m: string, extra = '') =>
  `v=0\r\no=peer 1 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n${m}\r\n${extra}`;

describe('SDP offer/answer', () => {
  test('the offer lists PCMU 0, PCMA 8 and telephone-event 101 (0-16) with ptime 20, sendrecv, at the caller’s address', () => {
    const sdp = buildOffer({ ip: '192.0.2.7', port: 31000, sessionId: '42', sessionVersion: 3 });
    assert.match(sdp, /^o=smartcall 42 3 IN IP4 192\.0\.2\.7\r$/m);
    assert.match(sdp, /^c=IN IP4 192\.0\.2\.7\r$/m);
    assert.match(sdp, /^m=audio 31000 RTP\/AVP 0 8 101\r$/m);
    assert.match(sdp, /^a=rtpmap:0 PCMU\/8000\r$/m);
    assert.match(sdp, /^a=rtpmap:8 PCMA\/8000\r$/m);
    assert.match(sdp, /^a=rtpmap:101 telephone-event\/8000\r$/m);
    assert.match(sdp, /^a=fmtp:101 0-16\r$/m);
    assert.match(sdp, /^a=ptime:20\r$/m);
    assert.match(sdp, /^a=sendrecv\r$/m);
  });

  test('an IPv6 address gives IP6 lines', () => {
    assert.match(buildOffer({ ip: '2001:db8::5', port: 31000 }), /^c=IN IP6 2001:db8::5\r$/m);
  });

  test('reading an answer yields address, port, chosen codec, telephone-event PT and direction', () => {
    const r = parseAnswer(
      answerFrom(
        'm=audio 40000 RTP/AVP 8 96',
        'a=rtpmap:8 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\na=sendonly\r\na=rtcp-mux\r\n',
      ),
    );
    assert.ok(r.ok);
    assert.deepEqual(
      {
        ip: r.value.ip,
        port: r.value.port,
        codec: r.value.codec,
        te: r.value.telephoneEventPt,
        dir: r.value.direction,
        mux: r.value.rtcpMux,
      },
      {
        ip: '192.0.2.50',
        port: 40000,
        codec: { payloadType: 8, name: 'PCMA', clockRate: 8000 },
        te: 96,
        dir: 'sendonly',
        mux: true,
      },
    );
  });

  test('static payload types need no rtpmap and the media-level c= line wins', () => {
    const r = describeSdp(answerFrom('m=audio 40000 RTP/AVP 0', 'c=IN IP4 198.51.100.9\r\n'));
    assert.ok(r.ok);
    assert.equal(r.value.codec.name, 'PCMU');
    assert.equal(r.value.ip, '198.51.100.9');
    assert.equal(r.value.telephoneEventPt, undefined);
    assert.equal(r.value.direction, 'sendrecv');
  });

  test('an answer without a codec we offered is an error, not a guess', () => {
    const r = parseAnswer(answerFrom('m=audio 40000 RTP/AVP 18', 'a=rtpmap:18 G729/8000\r\n'));
    assert.equal(r.ok ? 'ok' : r.error.code, 'no-common-codec');
    assert.equal(describeSdp('not sdp at all').ok, false);
    assert.equal(
      describeSdp(answerFrom('m=audio 0 RTP/AVP 0')).ok,
      false,
      'a rejected (port 0) stream is not usable',
    );
    assert.equal(describeSdp(answerFrom('m=video 40000 RTP/AVP 31')).ok, false);
  });

  test('answering an offer keeps the offerer’s codec order and telephone-event PT and mirrors the direction', () => {
    const offer = answerFrom(
      'm=audio 5004 RTP/AVP 8 0 97',
      'a=rtpmap:97 telephone-event/8000\r\na=fmtp:97 0-15\r\na=recvonly\r\na=rtcp-mux\r\n',
    );
    const r = buildAnswer(offer, { ip: '127.0.0.1', port: 32000 });
    assert.ok(r.ok);
    assert.match(r.value.sdp, /^m=audio 32000 RTP\/AVP 8 97\r$/m);
    assert.match(r.value.sdp, /^a=sendonly\r$/m);
    assert.doesNotMatch(r.value.sdp, /rtcp-mux/);
    assert.equal(r.value.remote.port, 5004);
    assert.equal(r.value.remote.codec.name, 'PCMA');
    const muxed = buildAnswer(offer, { ip: '127.0.0.1', port: 32000, rtcpMux: true });
    assert.ok(muxed.ok);
    assert.match(muxed.value.sdp, /^a=rtcp-mux\r$/m);
  });

  test('answering an offer with our codec preference restricted to PCMA picks PCMA', () => {
    const r = buildAnswer(answerFrom('m=audio 5004 RTP/AVP 0 8'), {
      ip: '127.0.0.1',
      port: 32000,
      codecs: ['PCMA'],
    });
    assert.ok(r.ok);
    assert.equal(r.value.remote.codec.name, 'PCMA');
  });

  test('an offer we cannot take fails with no-common-codec (answered 488)', () => {
    const r = buildAnswer(answerFrom('m=audio 5004 RTP/AVP 18'), { ip: '127.0.0.1', port: 32000 });
    assert.equal(r.ok ? 'ok' : r.error.code, 'no-common-codec');
  });
});

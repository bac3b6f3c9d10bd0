import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSipMessage } from '../../src/sip/messageParser.js';
import { serializeMessage } from '../../src/sip/messageSerializer.js';
import { loadSipFixtures } from './fixturePaths.js';

const crlf = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'));

const BASE = `OPTIONS sip:bob@192.0.2.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa
From: <sip:alice@192.0.2.1>;tag=1
To: <sip:bob@192.0.2.2>
Call-ID: parser-test
CSeq: 7 OPTIONS
Max-Forwards: 70
`;

function parse(text: string) {
  return parseSipMessage(crlf(text));
}

describe('SIP message parser', () => {
  test('reads compact header names as their long forms', () => {
    const r = parse(
      'INVITE sip:bob@192.0.2.2 SIP/2.0\nv: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKb\nf: <sip:a@192.0.2.1>;tag=1\nt: <sip:bob@192.0.2.2>\ni: compact\nCSeq: 1 INVITE\nm: <sip:a@192.0.2.1>\nk: timer, 100rel\nx: 300;refresher=uas\nc: application/sdp\ne: identity\ns: hello\nl: 3\n\nabc',
    );
    assert.ok(r.ok);
    const m = r.message;
    assert.equal(m.callId, 'compact');
    assert.equal(m.contacts()?.length, 1);
    assert.deepEqual(m.supported(), ['timer', '100rel']);
    assert.deepEqual(m.sessionExpires(), { seconds: 300, refresher: 'uas' });
    assert.equal(m.contentType(), 'application/sdp');
    assert.equal(m.headers.get('Content-Encoding'), 'identity');
    assert.equal(m.headers.get('subject'), 'hello');
    assert.equal(m.body.toString(), 'abc');
  });

  test('matches header names in any case', () => {
    const r = parse(BASE.replace('Call-ID', 'cALL-iD').replace('CSeq', 'cseq') + 'content-LENGTH: 0\n\n');
    assert.ok(r.ok);
    assert.equal(r.message.callId, 'parser-test');
    assert.equal(r.message.headers.get('CALL-ID'), 'parser-test');
  });

  test('joins folded lines and splits comma lists across lines', () => {
    const r = parse(
      BASE +
        'Route: <sip:192.0.2.10;lr>,\n   <sip:192.0.2.11;lr>\nRoute: <sip:192.0.2.12;lr>\nSubject: one\n\ttwo\nContent-Length: 0\n\n',
    );
    assert.ok(r.ok);
    assert.equal(r.message.routes()?.length, 3);
    assert.equal(r.message.headers.get('subject'), 'one two');
  });

  test('keeps commas inside quoted strings and angle brackets together', () => {
    const r = parse(
      BASE + 'Contact: "Smith, Bob" <sip:bob@192.0.2.2;x=a&b>, <sip:c@192.0.2.3>\nContent-Length: 0\n\n',
    );
    assert.ok(r.ok);
    const contacts = r.message.contacts();
    assert.equal(contacts?.length, 2);
    assert.equal(contacts?.[0]?.displayName, 'Smith, Bob');
  });

  test('reads digest challenges, Require and Allow', () => {
    const r = parse(
      'SIP/2.0 407 Proxy Authentication Required\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKc\nFrom: <sip:a@192.0.2.1>;tag=1\nTo: <sip:b@192.0.2.2>;tag=2\nCall-ID: x\nCSeq: 1 INVITE\nProxy-Authenticate: Digest realm="r", nonce="n", qop="auth,auth-int"\nRequire: timer\nAllow: invite, ack, bye\nContent-Length: 0\n\n',
    );
    assert.ok(r.ok && r.message.kind === 'response');
    assert.equal(r.message.status, 407);
    assert.equal(r.message.headers.getAll('proxy-authenticate').length, 1);
    assert.deepEqual(
      r.message.challenges().proxy.map((c) => [c.realm, c.nonce, c.qop]),
      [['r', 'n', ['auth', 'auth-int']]],
    );
    assert.deepEqual(r.message.require(), ['timer']);
    assert.deepEqual(r.message.allow(), ['INVITE', 'ACK', 'BYE']);
  });

  test('accepts bare LF line ends and ignores blank lines before the start line', () => {
    const r = parseSipMessage(Buffer.from('\r\n\r\n' + BASE + 'Content-Length: 0\n\n'));
    assert.ok(r.ok);
  });

  test('takes the rest of a datagram as body when Content-Length is absent, but requires it on streams', () => {
    const text = crlf(BASE + '\n');
    const withBody = Buffer.concat([text, Buffer.from('hello')]);
    const udp = parseSipMessage(withBody);
    assert.ok(udp.ok);
    assert.equal(udp.message.body.toString(), 'hello');
    const tcp = parseSipMessage(withBody, undefined, true);
    assert.equal(tcp.ok, false);
  });

  test('answers unparseable requests with 400 and says why', () => {
    const r = parse(BASE + 'Max-Forwards: 70\nContent-Length: 0\n\n');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.error.code, 'duplicate-header');
    assert.equal(r.error.reply?.status, 400);
    assert.equal(r.error.reply?.reason, 'Duplicate Max-Forwards header');
    assert.equal(r.error.reply?.headers.get('call-id'), 'parser-test');
  });

  test('drops broken responses without a reply', () => {
    const r = parse('SIP/2.0 200 OK\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKd\nCall-ID: x\n\n');
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.reply, undefined);
  });

  test('enforces the message size and header count limits', () => {
    const many = BASE + 'X-A: 1\n'.repeat(50) + 'Content-Length: 0\n\n';
    const r = parseSipMessage(crlf(many), { maxMessageBytes: 65_535, maxHeaders: 20 });
    assert.equal(r.ok ? 'ok' : r.error.code, 'too-many-headers');
    const big = parseSipMessage(crlf(BASE + 'Content-Length: 0\n\n'), {
      maxMessageBytes: 100,
      maxHeaders: 20,
    });
    assert.equal(big.ok ? 'ok' : big.error.code, 'too-large');
  });

  test('never throws on empty or binary input', () => {
    for (const input of [
      Buffer.alloc(0),
      Buffer.from('\r\n'),
      Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]),
      Buffer.from('SIP/2.0\r\n\r\n'),
    ]) {
      const r = parseSipMessage(input);
      assert.equal(r.ok, false);
    }
  });
});

describe('SIP message serializer', () => {
  const captures = loadSipFixtures('sip-torture/captures');

  test('has captures of sipp, kamailio and our own messages to replay', () => {
    assert.ok(captures.size >= 8);
  });

  for (const [name, bytes] of captures) {
    test(`${name} re-serializes to bytes that parse to the same message`, () => {
      const first = parseSipMessage(bytes);
      assert.ok(first.ok, first.ok ? '' : first.error.detail);
      const wire = serializeMessage(first.message);
      const second = parseSipMessage(wire);
      assert.ok(second.ok);
      const a = first.message;
      const b = second.message;
      assert.equal(b.kind, a.kind);
      assert.deepEqual([...b.headers.lines()].sort(), [...a.headers.lines()].sort());
      assert.deepEqual(b.body, a.body);
      // a second round is byte-identical: the serializer's output is canonical
      assert.deepEqual(serializeMessage(b), wire);
    });
  }

  test('writes the Content-Length of the body, not the stale header value', () => {
    const r = parse(BASE + 'Content-Length: 0\n\n');
    assert.ok(r.ok);
    r.message.body = Buffer.from('four');
    assert.match(serializeMessage(r.message).toString(), /Content-Length: 4\r\n\r\nfour$/);
  });
});

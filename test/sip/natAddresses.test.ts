/**
 * Addresses on the wire (RFC 3261 §18, RFC 3581): a user agent bound to 0.0.0.0 never writes
 * 0.0.0.0 but the address its peer reaches it at; an advertised address (NAT) wins; every request
 * we send asks for `rport`; requests we receive are answered where they really came from.
 */
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import type { IncomingInvite } from '../../src/sip/incomingInvite.js';
import { serializeMessage } from '../../src/sip/messageSerializer.js';
import { buildAnswer } from '../../src/sip/sdp.js';
import type { SipRequest, SipResponse } from '../../src/sip/sipMessage.js';
import type { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { PEER_SDP, ScriptedPeer } from './scriptedPeer.js';
import { createUa } from './uaHarness.js';

let peer: ScriptedPeer;
const uas: SipUserAgent[] = [];
beforeEach(async () => {
  peer = await ScriptedPeer.create();
});
afterEach(() => peer.close());
after(async () => {
  await Promise.all(uas.map((u) => u.close()));
});

async function ua(options: Parameters<typeof createUa>[0] = {}): Promise<SipUserAgent> {
  const u = await createUa(options);
  uas.push(u);
  return u;
}

/** OPTIONS from our UA to the scripted peer; the peer answers 200 to whatever Via we wrote. */
async function optionsRoundTrip(u: SipUserAgent): Promise<{ request: SipRequest; ok: boolean }> {
  const result = u.sendOptions(peer.uri());
  const request = (await peer.request('OPTIONS')) as SipRequest;
  peer.respond(request, u.localEndpoint('udp')!.port, '200 OK');
  return { request, ok: (await result).ok };
}

function contactHost(m: SipRequest | SipResponse): string {
  return /<sip:[^@]+@([^:;>]+)/.exec(m.headers.get('contact') ?? '')?.[1] ?? '';
}

describe('what we write', () => {
  test('bound to 0.0.0.0, a request to a loopback peer names 127.0.0.1 (Via, Contact, From) and asks for rport', async () => {
    const u = await ua({ address: '0.0.0.0' });
    const { request, ok } = await optionsRoundTrip(u);
    const via = request.topVia;
    assert.equal(via.host, '127.0.0.1');
    assert.equal(via.port, u.localEndpoint('udp')!.port);
    assert.equal(via.rport, true, `Via asks for rport: ${via.toString()}`);
    assert.equal(contactHost(request), '127.0.0.1');
    assert.match(request.headers.get('from') ?? '', /@127\.0\.0\.1/);
    assert.doesNotMatch(serializeMessage(request).toString(), /0\.0\.0\.0/);
    assert.ok(ok, 'the response to that Via is ours (§18.1.2)');
  });

  test('an advertised address goes into Via and Contact, and responses to it are accepted', async () => {
    const u = await ua({ address: '127.0.0.1', advertisedAddress: '203.0.113.7' });
    const { request, ok } = await optionsRoundTrip(u);
    assert.equal(request.topVia.host, '203.0.113.7');
    assert.equal(request.topVia.rport, true);
    assert.equal(contactHost(request), '203.0.113.7');
    assert.ok(ok);
  });

  test('a wildcard is refused as advertised address', async () => {
    await assert.rejects(ua({ address: '0.0.0.0', advertisedAddress: '0.0.0.0' }), /advertised address/);
  });

  test('bound to 0.0.0.0, the 200 OK to an incoming INVITE has a Contact with the address the caller reached', async () => {
    const u = await ua({ address: '0.0.0.0' });
    const port = u.localEndpoint('udp')!.port;
    u.once('incoming', (call: IncomingInvite) => {
      const a = buildAnswer(call.offer!, { ip: '127.0.0.1', port: 42000 });
      assert.ok(a.ok);
      call.answer(a.value.sdp);
    });
    peer.send(
      [
        `INVITE sip:smartcall@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-nat-inv;rport`,
        'Max-Forwards: 70',
        `From: <${peer.uri('caller')}>;tag=c1`,
        `To: <sip:smartcall@127.0.0.1:${port}>`,
        'Call-ID: nat-invite',
        'CSeq: 1 INVITE',
        `Contact: <${peer.uri('caller')}>`,
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(PEER_SDP)}`,
        '',
        PEER_SDP,
      ].join('\r\n'),
      port,
    );
    const ok = (await peer.next((m) => m.kind === 'response' && m.status === 200)) as SipResponse;
    assert.equal(contactHost(ok), '127.0.0.1');
  });
});

describe('what we answer (RFC 3261 §18.2, RFC 3581)', () => {
  function options(via: string, port: number): string {
    return [
      `OPTIONS sip:smartcall@127.0.0.1:${port} SIP/2.0`,
      `Via: ${via}`,
      'Max-Forwards: 70',
      `From: <${peer.uri('probe')}>;tag=p1`,
      `To: <sip:smartcall@127.0.0.1:${port}>`,
      `Call-ID: ${via.length}-${Math.random()}`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  }

  test('a request with an empty rport is answered at its source address and port, with received= and rport=', async () => {
    const u = await ua();
    const port = u.localEndpoint('udp')!.port;
    // The sent-by names an address and port behind a NAT we cannot reach.
    peer.send(options('SIP/2.0/UDP 198.51.100.9:5999;branch=z9hG4bK-rport1;rport', port), port);
    const r = (await peer.next((m) => m.kind === 'response')) as SipResponse;
    assert.equal(r.status, 200);
    assert.equal(r.topVia.received, '127.0.0.1');
    assert.equal(r.topVia.rport, peer.port);
  });

  test('an empty rport gets received= even when the sent-by host is the source (RFC 3581 §4)', async () => {
    const u = await ua();
    const port = u.localEndpoint('udp')!.port;
    peer.send(options('SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-rport2;rport', port), port);
    const r = (await peer.next((m) => m.kind === 'response')) as SipResponse;
    assert.equal(r.status, 200);
    assert.equal(r.topVia.received, '127.0.0.1');
    assert.equal(r.topVia.rport, peer.port);
  });

  test('a request whose sent-by differs from its source gets received= and goes to that address', async () => {
    const u = await ua();
    const port = u.localEndpoint('udp')!.port;
    // No rport: the response goes to received= at the Via port (§18.2.2), here the peer's own port.
    peer.send(options(`SIP/2.0/UDP 198.51.100.9:${peer.port};branch=z9hG4bK-recv1`, port), port);
    const r = (await peer.next((m) => m.kind === 'response')) as SipResponse;
    assert.equal(r.status, 200);
    assert.equal(r.topVia.received, '127.0.0.1');
    assert.equal(r.topVia.rport, undefined);
  });
});

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { PEER_SDP, ScriptedPeer } from './scriptedPeer.js';
import { assertIdle, createUa, offer, waitFor } from './uaHarness.js';

let ua: SipUserAgent;
let peer: ScriptedPeer;
let uaPort: number;

before(async () => {
  ua = await createUa({ tcpPort: false });
  uaPort = ua.localEndpoint('udp')!.port;
});
after(async () => {
  await ua.close();
});
beforeEach(async () => {
  peer = await ScriptedPeer.create();
});
afterEach(() => {
  peer.close();
});

describe('outgoing call edge cases', () => {
  test('a 200 that crosses our CANCEL is ACKed, then hung up with BYE', async () => {
    const call = ua.invite({ target: peer.uri(), offer: offer() });
    const invite = await peer.request('INVITE');
    peer.respond(invite, uaPort, '180 Ringing', { toTag: 'p1' });
    await once(call, 'progress');
    call.cancel();
    const cancel = await peer.request('CANCEL');
    assert.equal(cancel.topVia.branch, invite.topVia.branch, 'CANCEL reuses the INVITE branch (§9.1)');
    assert.deepEqual(cancel.cseq, { seq: invite.cseq.seq, method: 'CANCEL' });
    peer.respond(cancel, uaPort, '200 OK', { toTag: 'p1' });
    peer.respond(invite, uaPort, '200 OK', {
      toTag: 'p1',
      sdp: PEER_SDP,
      headers: [`Contact: <${peer.uri()}>`],
    });
    const [cause] = await once(call, 'failed');
    assert.deepEqual(cause, { code: 'cancelled', status: 200, reason: 'OK' });
    const ack = await peer.request('ACK');
    assert.equal(ack.to.tag, 'p1');
    const bye = await peer.request('BYE');
    assert.equal(bye.to.tag, 'p1');
    peer.respond(bye, uaPort, '200 OK');
    await assertIdle(ua);
  });

  test('a cancel before any provisional response waits for one, then sends CANCEL', async () => {
    const call = ua.invite({ target: peer.uri(), offer: offer() });
    const invite = await peer.request('INVITE');
    assert.equal(call.cancel(), true);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(
      peer.count((m) => m.kind === 'request' && m.method === 'CANCEL'),
      0,
      'no CANCEL before a provisional (§9.1)',
    );
    peer.respond(invite, uaPort, '100 Trying');
    const cancel = await peer.request('CANCEL');
    peer.respond(cancel, uaPort, '200 OK');
    peer.respond(invite, uaPort, '487 Request Terminated', { toTag: 'p2' });
    const [cause] = await once(call, 'failed');
    assert.deepEqual(cause, { code: 'cancelled', status: 487, reason: 'Request Terminated' });
    await peer.request('ACK');
    await assertIdle(ua);
  });

  test('every retransmission of the 2xx gets our ACK again, also after the transaction is gone', async () => {
    const call = ua.invite({ target: peer.uri(), offer: offer() });
    const invite = await peer.request('INVITE');
    const ok = () =>
      peer.respond(invite, uaPort, '200 OK', {
        toTag: 'p3',
        sdp: PEER_SDP,
        headers: [`Contact: <${peer.uri()}>`],
      });
    ok();
    await once(call, 'answered');
    await peer.request('ACK');
    ok();
    await waitFor('second ACK', () => peer.count((m) => m.kind === 'request' && m.method === 'ACK') === 2);
    await new Promise((r) => setTimeout(r, 64 * 10 + 50)); // Timer M (64*T1) is over
    ok();
    await waitFor('third ACK', () => peer.count((m) => m.kind === 'request' && m.method === 'ACK') === 3);
    call.bye();
    const bye = await peer.request('BYE');
    peer.respond(bye, uaPort, '200 OK');
    await once(call, 'ended');
    await assertIdle(ua);
  });

  test('a second 2xx from another fork is ACKed and hung up while the first call goes on', async () => {
    const call = ua.invite({ target: peer.uri(), offer: offer() });
    const invite = await peer.request('INVITE');
    peer.respond(invite, uaPort, '200 OK', {
      toTag: 'leg1',
      sdp: PEER_SDP,
      headers: [`Contact: <${peer.uri()}>`],
    });
    await once(call, 'answered');
    peer.respond(invite, uaPort, '200 OK', {
      toTag: 'leg2',
      sdp: PEER_SDP,
      headers: [`Contact: <${peer.uri()}>`],
    });
    const bye = await peer.next((m) => m.kind === 'request' && m.method === 'BYE' && m.to.tag === 'leg2');
    peer.respond(bye as never, uaPort, '200 OK');
    assert.equal(call.state, 'answered');
    call.bye();
    const bye1 = await peer.next((m) => m.kind === 'request' && m.method === 'BYE' && m.to.tag === 'leg1');
    peer.respond(bye1 as never, uaPort, '200 OK');
    await once(call, 'ended');
    await assertIdle(ua);
  });

  test('an answer without a usable codec is ACKed, hung up and reported as bad-answer', async () => {
    const call = ua.invite({ target: peer.uri(), offer: offer() });
    const invite = await peer.request('INVITE');
    const g729 = PEER_SDP.replace('RTP/AVP 0 101', 'RTP/AVP 18').replace(
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:18 G729/8000',
    );
    peer.respond(invite, uaPort, '200 OK', { toTag: 'p4', sdp: g729, headers: [`Contact: <${peer.uri()}>`] });
    const [cause] = await once(call, 'failed');
    assert.equal(cause.code, 'bad-answer');
    assert.equal(cause.status, 488);
    await peer.request('ACK');
    const bye = await peer.request('BYE');
    peer.respond(bye, uaPort, '200 OK');
    await assertIdle(ua);
  });

  test('a host name is refused without any lookup', async () => {
    const call = ua.invite({ target: 'sip:bob@example.com', offer: offer() });
    const [cause] = await once(call, 'failed');
    assert.equal(cause.code, 'bad-target');
    assert.match(cause.reason, /not an IP literal/);
    await assertIdle(ua);
  });

  test('a 422 is retried once with the Min-SE it asks for', async () => {
    const call = ua.invite({ target: peer.uri(), offer: offer() });
    const first = await peer.request('INVITE');
    assert.equal(first.headers.get('session-expires'), '1800');
    peer.respond(first, uaPort, '422 Session Interval Too Small', { toTag: 'p5', headers: ['Min-SE: 3600'] });
    const second = await peer.next((m) => m.kind === 'request' && m.method === 'INVITE' && m.cseq.seq === 2);
    assert.equal(second.headers.get('session-expires'), '3600');
    assert.equal(second.headers.get('min-se'), '3600');
    peer.respond(second as never, uaPort, '486 Busy Here', { toTag: 'p6' });
    const [cause] = await once(call, 'failed');
    assert.equal(cause.status, 486);
    await assertIdle(ua);
  });

  test('a repeated challenge after our credentials fails as auth-failed', async () => {
    const call = ua.invite({
      target: peer.uri(),
      offer: offer(),
      credentials: { username: 'u', password: 'p' },
    });
    const challenge = ['Proxy-Authenticate: Digest realm="r", nonce="n1", qop="auth", algorithm=SHA-256'];
    const first = await peer.request('INVITE');
    peer.respond(first, uaPort, '407 Proxy Authentication Required', { toTag: 'a1', headers: challenge });
    const second = await peer.next((m) => m.kind === 'request' && m.method === 'INVITE' && m.cseq.seq === 2);
    assert.match(second.headers.get('proxy-authorization') ?? '', /algorithm=SHA-256.*qop=auth, nc=00000001/);
    peer.respond(second as never, uaPort, '407 Proxy Authentication Required', {
      toTag: 'a2',
      headers: challenge,
    });
    const [cause] = await once(call, 'failed');
    assert.deepEqual(cause, { code: 'auth-failed', status: 407, reason: 'Proxy Authentication Required' });
    await assertIdle(ua);
  });
});

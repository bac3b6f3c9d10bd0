/** RFC 3263 §4.3: an INVITE given several next hops moves on after a timeout, a transport error or a 503. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import type { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { freePort } from '../helpers/ports.js';
import { ScriptedPeer } from './scriptedPeer.js';
import { assertIdle, createUa, offer } from './uaHarness.js';

let ua: SipUserAgent;
before(async () => {
  ua = await createUa();
});
after(() => ua.close());

test('a hop that never answers (Timer B) hands the INVITE to the next one, same Call-ID and CSeq', async () => {
  const silent = await ScriptedPeer.create();
  const live = await ScriptedPeer.create();
  try {
    const call = ua.invite({
      target: 'sip:callee@trunk.test',
      offer: offer(),
      hops: [
        { protocol: 'udp', address: '127.0.0.1', port: silent.port },
        { protocol: 'udp', address: '127.0.0.1', port: live.port },
      ],
    });
    const moved = once(call, 'next-hop');
    const invite = await live.request('INVITE', 5000);
    const [failed, reason] = await moved;
    assert.deepEqual([failed.port, reason], [silent.port, 'timeout']);
    const first = silent.received[0]!.message;
    assert.equal(invite.uri.toString(), 'sip:callee@trunk.test', 'the Request-URI keeps the name');
    assert.equal(invite.callId, first.callId);
    assert.equal(invite.cseq.seq, first.cseq.seq);
    assert.notEqual(invite.vias[0]?.branch, first.kind === 'request' ? first.vias[0]?.branch : '');
    live.respond(invite, ua.localEndpoint('udp')!.port, '486 Busy Here', { toTag: 'x' });
    const [cause] = await once(call, 'failed');
    assert.equal(cause.status, 486, 'a 486 ends the call: only timeouts, transport errors and 503 move on');
    assert.equal(call.nextHop?.port, live.port);
  } finally {
    silent.socket.close();
    live.socket.close();
  }
  await assertIdle(ua);
});

test('a TCP hop that refuses the connection: the next hop gets it at once', async () => {
  const live = await ScriptedPeer.create();
  try {
    const closed = await freePort();
    const call = ua.invite({
      target: 'sip:callee@trunk.test',
      offer: offer(),
      hops: [
        { protocol: 'tcp', address: '127.0.0.1', port: closed },
        { protocol: 'udp', address: '127.0.0.1', port: live.port },
      ],
    });
    const invite = await live.request('INVITE', 1000);
    assert.match(invite.headers.get('Contact') ?? '', /^<sip:[^>]*>/);
    assert.doesNotMatch(
      invite.headers.get('Contact') ?? '',
      /transport=tcp/,
      'the INVITE is rebuilt for UDP',
    );
    live.respond(invite, ua.localEndpoint('udp')!.port, '503 Service Unavailable', { toTag: 'y' });
    const [cause] = await once(call, 'failed');
    assert.equal(cause.status, 503, "the last hop's 503 is the answer");
  } finally {
    live.socket.close();
  }
  await assertIdle(ua);
});

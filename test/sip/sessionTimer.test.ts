import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import type { IncomingInvite } from '../../src/sip/incomingInvite.js';
import { buildAnswer } from '../../src/sip/sdp.js';
import { SessionTimer } from '../../src/sip/sessionTimer.js';
import { Timers } from '../../src/sip/timers.js';
import { PEER_SDP, ScriptedPeer } from './scriptedPeer.js';
import { assertIdle, createUa, offer, sipTarget } from './uaHarness.js';

describe('RFC 4028 session timer', () => {
  test('as refresher it fires at half the interval', () => {
    const clock = new ManualClock({ start: 0 });
    const events: string[] = [];
    const timer = new SessionTimer(
      new Timers(clock),
      () => events.push(`refresh@${clock.now()}`),
      () => events.push('expire'),
    );
    timer.start(1800, true);
    clock.advance(900_000);
    assert.deepEqual(events, ['refresh@900000']);
  });

  test('as the other side it expires at the interval minus min(32 s, interval/3)', () => {
    const clock = new ManualClock({ start: 0 });
    const events: string[] = [];
    const timer = new SessionTimer(
      new Timers(clock),
      () => events.push('refresh'),
      () => events.push(`expire@${clock.now()}`),
    );
    timer.start(90, false);
    clock.advance(90_000);
    assert.deepEqual(events, ['expire@60000']);
    timer.start(1800, false);
    clock.advance(1800_000);
    assert.deepEqual(events, ['expire@60000', 'expire@1858000']);
  });

  test('a refresh restarts it and stop leaves no timer behind', () => {
    const clock = new ManualClock({ start: 0 });
    const timers = new Timers(clock);
    let expired = false;
    const timer = new SessionTimer(
      timers,
      () => {},
      () => (expired = true),
    );
    timer.start(90, false);
    clock.advance(50_000);
    timer.start(90, false);
    clock.advance(50_000);
    assert.equal(expired, false);
    timer.stop();
    assert.equal(timers.active, 0);
  });

  test('two user agents keep a short session alive with refreshes and both end cleanly', async () => {
    const caller = await createUa({ sessionTimer: { expires: 2, minSE: 1 } });
    const callee = await createUa({ sessionTimer: { expires: 0, minSE: 1 } });
    try {
      let incoming: IncomingInvite | undefined;
      let refreshes = 0;
      callee.once('incoming', (call) => {
        incoming = call;
        const a = buildAnswer(call.offer!, { ip: '127.0.0.1', port: 43000 });
        assert.ok(a.ok);
        call.answer(a.value.sdp);
      });
      const call = caller.invite({ target: sipTarget(callee), offer: offer() });
      await once(call, 'answered');
      assert.equal(call.session?.sessionInterval, 2);
      assert.equal(call.session?.weRefresh, true);
      // count the refreshes the callee answers (UPDATE, as the callee allows it)
      const before = callee.stats().transport.received;
      await new Promise((r) => setTimeout(r, 2900));
      refreshes = callee.stats().transport.received - before;
      assert.ok(refreshes >= 2, `refresh requests seen by the callee: ${refreshes}`);
      assert.equal(call.state, 'answered', 'the session outlived its interval thanks to the refreshes');
      assert.equal(incoming?.state, 'answered');
      call.bye();
      await once(call, 'ended');
      await assertIdle(caller);
      await assertIdle(callee);
    } finally {
      await caller.close();
      await callee.close();
    }
  });

  test('a session the peer does not refresh is ended with BYE before it expires', async () => {
    const ua = await createUa({ tcpPort: false, sessionTimer: { expires: 0, minSE: 1 } });
    const peer = await ScriptedPeer.create();
    try {
      const uaPort = ua.localEndpoint('udp')!.port;
      const ended = new Promise<unknown[]>((resolve) =>
        ua.once('incoming', (call) => {
          call.once('ended', (...args) => resolve(args));
          const a = buildAnswer(call.offer!, { ip: '127.0.0.1', port: 43000 });
          assert.ok(a.ok);
          call.answer(a.value.sdp);
        }),
      );
      const head = [
        `INVITE sip:smartcall@127.0.0.1:${uaPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-se-1`,
        'Max-Forwards: 70',
        `From: <${peer.uri()}>;tag=se1`,
        `To: <sip:smartcall@127.0.0.1:${uaPort}>`,
        'Call-ID: session-expiry',
        'CSeq: 1 INVITE',
        `Contact: <${peer.uri()}>`,
        'Supported: timer',
        'Session-Expires: 3;refresher=uac',
        'Content-Type: application/sdp',
        `Content-Length: ${PEER_SDP.length}`,
      ];
      const started = Date.now();
      peer.send(head.join('\r\n') + '\r\n\r\n' + PEER_SDP, uaPort);
      const ok = await peer.next((m) => m.kind === 'response' && m.status === 200);
      peer.send(
        [
          `ACK sip:smartcall@127.0.0.1:${uaPort} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-se-ack`,
          'Max-Forwards: 70',
          `From: <${peer.uri()}>;tag=se1`,
          `To: ${ok.headers.get('to')}`,
          'Call-ID: session-expiry',
          'CSeq: 1 ACK',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
        uaPort,
      );
      const bye = await peer.request('BYE', 5000);
      const elapsed = Date.now() - started;
      // 3 s interval, nobody refreshed: BYE at 3 - min(32, 3/3) = 2 s (RFC 4028 §10)
      assert.ok(elapsed >= 1900 && elapsed < 3500, `BYE after ${elapsed} ms`);
      peer.respond(bye, uaPort, '200 OK');
      assert.deepEqual(await ended, ['local', 'session-expired']);
      await assertIdle(ua);
    } finally {
      peer.close();
      await ua.close();
    }
  });
});

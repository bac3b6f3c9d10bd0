import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import type { IncomingInvite } from '../../src/sip/incomingInvite.js';
import { buildAnswer } from '../../src/sip/sdp.js';
import type { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { assertIdle, createUa, offer, sipTarget, waitFor } from './uaHarness.js';

function answerWith(call: IncomingInvite, port = 41000): void {
  const answer = buildAnswer(call.offer!, { ip: '127.0.0.1', port, sessionId: '2' });
  assert.ok(answer.ok);
  call.answer(answer.value.sdp);
}

for (const protocol of ['udp', 'tcp'] as const) {
  describe(`two user agents over ${protocol}`, () => {
    let caller: SipUserAgent;
    let callee: SipUserAgent;
    before(async () => {
      caller = await createUa();
      callee = await createUa();
    });
    after(async () => {
      await caller.close();
      await callee.close();
    });

    test('a call is answered, carries both SDPs and ends with our BYE', async () => {
      let incoming: IncomingInvite | undefined;
      const confirmed = new Promise<void>((resolve) =>
        callee.once('incoming', (call) => {
          incoming = call;
          call.once('confirmed', resolve);
          call.ring();
          answerWith(call);
        }),
      );
      const call = caller.invite({ target: sipTarget(callee, 'callee', protocol), offer: offer(40000) });
      const progress: number[] = [];
      call.on('progress', (status) => progress.push(status));
      const [sdp, media] = await once(call, 'answered');
      assert.match(sdp, /m=audio 41000 RTP\/AVP 0 101/);
      assert.equal(media.port, 41000);
      assert.equal(media.codec.name, 'PCMU');
      assert.equal(media.telephoneEventPt, 101);
      assert.ok(progress.includes(180));
      await confirmed;
      assert.equal(incoming?.offerMedia?.port, 40000);
      const incomingEnded = once(incoming!, 'ended');
      assert.equal(call.bye(), true);
      assert.deepEqual(await once(call, 'ended'), ['local', 'bye']);
      assert.deepEqual(await incomingEnded, ['remote', 'bye']);
      await assertIdle(caller);
      await assertIdle(callee);
    });

    test('the callee hangs up and the caller sees a remote BYE', async () => {
      callee.once('incoming', (call) => {
        answerWith(call);
        call.once('confirmed', () => call.bye());
      });
      const call = caller.invite({ target: sipTarget(callee, 'callee', protocol), offer: offer() });
      await once(call, 'answered');
      assert.deepEqual(await once(call, 'ended'), ['remote', 'bye']);
      await assertIdle(caller);
      await assertIdle(callee);
    });

    test('a rejected call fails with the status and reason of the rejection', async () => {
      callee.once('incoming', (call) => call.reject(486));
      const call = caller.invite({ target: sipTarget(callee, 'callee', protocol), offer: offer() });
      const [cause] = await once(call, 'failed');
      assert.deepEqual(cause, { code: 'rejected', status: 486, reason: 'Busy Here' });
      await assertIdle(caller);
      await assertIdle(callee);
    });

    test('cancelling a ringing call gets 487 on both sides', async () => {
      let incoming: IncomingInvite | undefined;
      callee.once('incoming', (call) => {
        incoming = call;
        call.ring();
      });
      const call = caller.invite({ target: sipTarget(callee, 'callee', protocol), offer: offer() });
      await once(call, 'progress');
      await waitFor('ringing', () => incoming !== undefined);
      const incomingEnded = once(incoming!, 'ended');
      assert.equal(call.cancel(), true);
      const [cause] = await once(call, 'failed');
      assert.deepEqual(cause, { code: 'cancelled', status: 487, reason: 'Request Terminated' });
      assert.deepEqual(await incomingEnded, ['remote', 'cancelled']);
      await assertIdle(caller);
      await assertIdle(callee);
    });
  });
}

describe('closing a user agent', () => {
  test('ends its calls, clears every timer and transaction and frees its ports', async () => {
    const caller = await createUa();
    const callee = await createUa();
    callee.once('incoming', (call) => answerWith(call));
    const call = caller.invite({ target: sipTarget(callee), offer: offer() });
    await once(call, 'answered');
    const ended = once(call, 'ended');
    const { port: udpPort } = caller.localEndpoint('udp')!;
    const { port: tcpPort } = caller.localEndpoint('tcp')!;
    await caller.close();
    assert.deepEqual(await ended, ['local', 'ua-closed']);
    const stats = caller.stats();
    assert.deepEqual(
      [stats.calls, stats.dialogs, stats.transactions.client, stats.transactions.server, stats.timers],
      [0, 0, 0, 0, 0],
    );
    // the same ports can be bound again: the sockets are closed
    const again = await createUa({ udpPort, tcpPort });
    await again.close();
    await callee.close();
  });

  test('calls placed after close fail at once', async () => {
    const ua = await createUa();
    await ua.close();
    const call = ua.invite({ target: 'sip:x@127.0.0.1:5060', offer: offer() });
    const [cause] = await once(call, 'failed');
    assert.equal(cause.code, 'ua-closed');
  });
});

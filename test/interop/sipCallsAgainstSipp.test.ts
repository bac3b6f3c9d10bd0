import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/observability/logger.js';
import { buildOffer, type MediaDescriptionSummary } from '../../src/sip/sdp.js';
import { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { freePort } from '../helpers/ports.js';
import { type Peer, type SippOptions, startSippUas } from '../helpers/sipPeers.js';
import { assertIdle } from '../sip/uaHarness.js';

/**
 * Our user agent calls sipp UAS scenarios (test/fixtures/sipp) on 127.0.0.1. Each sipp runs one call
 * (-m 1), so its exit code says whether it saw the dialogue it expected from us.
 */

const TIMERS = { t1: 20, t2: 80, t4: 50 };

let ua: SipUserAgent;

before(async () => {
  ua = await SipUserAgent.create({ address: '127.0.0.1', timers: TIMERS, logger: silentLogger() });
});
after(async () => {
  await ua.close();
});

async function sipp(scenario: string, options: Partial<SippOptions> = {}): Promise<Peer> {
  return startSippUas({
    scenario,
    port: await freePort(),
    controlPort: await freePort({ tcp: false }),
    mediaPort: await freePort({ tcp: false, pairPlus2: true }),
    calls: 1,
    ...options,
  });
}

function targetOf(peer: Peer, user = 'callee'): string {
  const port = peer.child.spawnargs[peer.child.spawnargs.indexOf('-p') + 1];
  return `sip:${user}@127.0.0.1:${port}`;
}

/** A UDP socket standing in for the RTP layer: it only counts what arrives. */
async function rtpSink(): Promise<{ socket: Socket; port: number; packets: () => number }> {
  const socket = createSocket('udp4');
  let packets = 0;
  socket.on('message', () => packets++);
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { socket, port: socket.address().port, packets: () => packets };
}

async function withPeer(peer: Peer, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    assert.equal(await peer.exitCode(15_000), 0, `sipp did not pass its scenario:\n${peer.output()}`);
  } finally {
    await peer.stop();
  }
}

describe('calls to sipp', () => {
  test('an answered call is ACKed and ended by our BYE', async () => {
    const peer = await sipp('uas_echo.xml');
    await withPeer(peer, async () => {
      const call = ua.invite({ target: targetOf(peer), offer: buildOffer({ ip: '127.0.0.1', port: 40010 }) });
      const [sdp, media] = await once(call, 'answered');
      assert.match(sdp, /m=audio \d+ RTP\/AVP 0 101/);
      assert.equal(media.codec.name, 'PCMU');
      assert.equal(media.telephoneEventPt, 101);
      assert.equal(call.bye(), true);
      assert.deepEqual(await once(call, 'ended'), ['local', 'bye']);
    });
    await assertIdle(ua);
  });

  for (const [scenario, status, reason] of [
    ['uas_486.xml', 486, 'Busy Here'],
    ['uas_480.xml', 480, 'Temporarily Unavailable'],
    ['uas_404.xml', 404, 'Not Found'],
  ] as const) {
    test(`a ${status} rejection is ACKed and recorded as the failure cause`, async () => {
      const peer = await sipp(scenario, { pauseMs: 100 });
      await withPeer(peer, async () => {
        const call = ua.invite({
          target: targetOf(peer),
          offer: buildOffer({ ip: '127.0.0.1', port: 40012 }),
        });
        const statuses: number[] = [];
        call.on('progress', (s) => statuses.push(s));
        const [cause] = await once(call, 'failed');
        assert.deepEqual(cause, { code: 'rejected', status, reason });
        assert.deepEqual(statuses, [100, 180]);
      });
      await assertIdle(ua);
    });
  }

  test('a ringing call that we cancel ends with 487 Request Terminated', async () => {
    const peer = await sipp('uas_noanswer.xml');
    await withPeer(peer, async () => {
      const call = ua.invite({ target: targetOf(peer), offer: buildOffer({ ip: '127.0.0.1', port: 40014 }) });
      await new Promise<void>((resolve) => call.on('progress', (s) => s === 180 && resolve()));
      assert.equal(call.cancel(), true);
      const [cause] = await once(call, 'failed');
      assert.deepEqual(cause, { code: 'cancelled', status: 487, reason: 'Request Terminated' });
    });
    await assertIdle(ua);
  });

  test('a set-up timeout while ringing cancels the call and records a timeout', async () => {
    const peer = await sipp('uas_noanswer.xml');
    await withPeer(peer, async () => {
      const call = ua.invite({
        target: targetOf(peer),
        offer: buildOffer({ ip: '127.0.0.1', port: 40016 }),
        setupTimeoutMs: 300,
      });
      const [cause] = await once(call, 'failed');
      assert.deepEqual(cause, { code: 'timeout', status: 487, reason: 'Request Terminated' });
    });
    await assertIdle(ua);
  });

  test('183 with SDP raises early media towards the offered RTP port before the 480', async () => {
    const rtp = await rtpSink();
    const peer = await sipp('uas_early_media.xml', { pauseMs: 1200 });
    try {
      await withPeer(peer, async () => {
        const call = ua.invite({
          target: targetOf(peer),
          offer: buildOffer({ ip: '127.0.0.1', port: rtp.port }),
        });
        const [sdp, media] = await once(call, 'early-media');
        assert.match(sdp, /m=audio \d+ RTP\/AVP 0/);
        assert.equal(media.codec.name, 'PCMU');
        const [cause] = await once(call, 'failed');
        assert.deepEqual(cause, { code: 'rejected', status: 480, reason: 'Temporarily Unavailable' });
        assert.ok(rtp.packets() > 10, `early media packets received: ${rtp.packets()}`);
      });
    } finally {
      rtp.socket.close();
    }
    await assertIdle(ua);
  });

  test('a carrier that requires 100rel gets its 183 PRACKed; early media, then the answer and our BYE', async () => {
    // sipp fails the scenario unless a PRACK with RAck "1 <CSeq> INVITE" comes within 5 s.
    const peer = await sipp('uas_100rel.xml', { pauseMs: 1000 });
    const rtp = await rtpSink();
    try {
      await withPeer(peer, async () => {
        const call = ua.invite({
          target: targetOf(peer),
          offer: buildOffer({ ip: '127.0.0.1', port: rtp.port }),
          setupTimeoutMs: 8000,
        });
        const early: string[] = [];
        call.on('early-media', (sdp) => early.push(sdp));
        const media = await new Promise<MediaDescriptionSummary>((resolve, reject) => {
          call.once('answered', (_sdp, m) => resolve(m));
          call.once('failed', (cause) =>
            reject(new Error(`not answered: ${JSON.stringify(cause)}\n${peer.output()}`)),
          );
        });
        assert.equal(early.length, 1, 'one early-media event for the reliable 183');
        assert.equal(media.codec.name, 'PCMU');
        assert.ok(rtp.packets() > 10, `early media packets before the answer: ${rtp.packets()}`);
        assert.equal(call.bye(), true);
        assert.deepEqual(await once(call, 'ended'), ['local', 'bye']);
      });
    } finally {
      rtp.socket.close();
    }
    await assertIdle(ua);
  });

  test('a BYE from the callee ends the call as remote', async () => {
    const peer = await sipp('uas_answer_bye.xml', { pauseMs: 300 });
    await withPeer(peer, async () => {
      const call = ua.invite({ target: targetOf(peer), offer: buildOffer({ ip: '127.0.0.1', port: 40018 }) });
      await once(call, 'answered');
      assert.deepEqual(await once(call, 'ended'), ['remote', 'bye']);
    });
    await assertIdle(ua);
  });

  test('a callee that never answers makes Timer B fail the call with 408', async () => {
    const peer = await sipp('uas_blackhole.xml', { calls: 0 });
    try {
      const call = ua.invite({ target: targetOf(peer), offer: buildOffer({ ip: '127.0.0.1', port: 40020 }) });
      const started = Date.now();
      const [cause] = await once(call, 'failed');
      assert.deepEqual(cause, { code: 'timeout', status: 408, reason: 'Request Timeout' });
      const elapsed = Date.now() - started;
      assert.ok(
        elapsed >= 64 * TIMERS.t1 - 20 && elapsed < 64 * TIMERS.t1 + 1000,
        `Timer B after ${elapsed} ms`,
      );
    } finally {
      await peer.stop();
    }
    await assertIdle(ua);
  });

  test('a 401 challenge is answered once with MD5 digest credentials', async () => {
    const peer = await sipp('uas_auth.xml');
    await withPeer(peer, async () => {
      const call = ua.invite({
        target: targetOf(peer, 'trunk'),
        offer: buildOffer({ ip: '127.0.0.1', port: 40022 }),
        credentials: { username: 'trunkuser', password: 'trunkpass' },
      });
      await once(call, 'answered');
      call.bye();
      await once(call, 'ended');
    });
    await assertIdle(ua);
  });

  test('wrong credentials end the call with the 403 the trunk sends', async () => {
    const peer = await sipp('uas_auth.xml');
    await withPeer(peer, async () => {
      const call = ua.invite({
        target: targetOf(peer, 'trunk'),
        offer: buildOffer({ ip: '127.0.0.1', port: 40024 }),
        credentials: { username: 'trunkuser', password: 'wrong' },
      });
      const [cause] = await once(call, 'failed');
      assert.deepEqual(cause, { code: 'rejected', status: 403, reason: 'Forbidden' });
    });
    await assertIdle(ua);
  });

  test('a 401 without credentials fails as an authentication failure', async () => {
    const peer = await sipp('uas_auth.xml', { calls: 0 });
    try {
      const call = ua.invite({
        target: targetOf(peer, 'trunk'),
        offer: buildOffer({ ip: '127.0.0.1', port: 40026 }),
      });
      const [cause] = await once(call, 'failed');
      assert.deepEqual(cause, { code: 'auth-failed', status: 401, reason: 'Unauthorized' });
    } finally {
      await peer.stop();
    }
    await assertIdle(ua);
  });

  test('a call over TCP is answered and ended by our BYE', async () => {
    const peer = await sipp('uas_echo.xml', { transport: 'tcp' });
    await withPeer(peer, async () => {
      const call = ua.invite({
        target: `${targetOf(peer)};transport=tcp`,
        offer: buildOffer({ ip: '127.0.0.1', port: 40028 }),
      });
      await once(call, 'answered');
      call.bye();
      assert.deepEqual(await once(call, 'ended'), ['local', 'bye']);
    });
    await assertIdle(ua);
  });
});

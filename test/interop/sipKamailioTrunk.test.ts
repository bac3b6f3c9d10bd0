import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/observability/logger.js';
import { buildOffer } from '../../src/sip/sdp.js';
import { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { freePort } from '../helpers/ports.js';
import { type Peer, startKamailioTrunk, startSippUas } from '../helpers/sipPeers.js';
import { assertIdle } from '../sip/uaHarness.js';

/**
 * Kamailio as a carrier trunk: it challenges every INVITE with 407 (Digest, qop=auth), then
 * Record-Routes and relays to a sipp UAS (uas_echo). ACK and BYE must follow the route set back
 * through the trunk. Run over UDP and TCP between us and the trunk.
 */

const TIMERS = { t1: 20, t2: 80, t4: 50 };
const CREDENTIALS = { username: 'trunkuser', password: 'trunkpass' };

let ua: SipUserAgent;
let trunk: Peer;
let trunkPort: number;

before(async () => {
  ua = await SipUserAgent.create({ address: '127.0.0.1', timers: TIMERS, logger: silentLogger() });
});
after(async () => {
  await ua.close();
});

async function startCallee(calls: number): Promise<{ peer: Peer; port: number }> {
  const port = await freePort();
  const peer = await startSippUas({
    scenario: 'uas_echo.xml',
    port,
    controlPort: await freePort({ tcp: false }),
    mediaPort: await freePort({ tcp: false, pairPlus2: true }),
    calls,
  });
  return { peer, port };
}

for (const transport of ['udp', 'tcp'] as const) {
  describe(`kamailio trunk over ${transport}`, () => {
    let callee: { peer: Peer; port: number };
    before(async () => {
      callee = await startCallee(1);
      trunkPort = await freePort();
      trunk = await startKamailioTrunk({
        port: trunkPort,
        calleeUri: `sip:127.0.0.1:${callee.port}`,
        user: CREDENTIALS.username,
        pass: CREDENTIALS.password,
      });
    });
    after(async () => {
      await trunk.stop();
      await callee.peer.stop();
    });

    test('answers the 407 challenge, reaches the callee and ends the call through the route set', async () => {
      const call = ua.invite({
        target: `sip:callee@127.0.0.1:${trunkPort}`,
        transport,
        offer: buildOffer({ ip: '127.0.0.1', port: 40100 }),
        credentials: CREDENTIALS,
      });
      const [, media] = await once(call, 'answered');
      assert.equal(media.codec.name, 'PCMU');
      const dialog = call.session!.dialog;
      assert.equal(dialog.routeSet.length > 0, true, 'the trunk Record-Routes');
      assert.equal(call.bye(), true);
      assert.deepEqual(await once(call, 'ended'), ['local', 'bye']);
      assert.equal(
        await callee.peer.exitCode(10_000),
        0,
        `the callee saw an incomplete call:\n${callee.peer.output()}`,
      );
      if (transport === 'tcp') assert.ok(ua.stats().transport.tcpConnectionsOpened > 0);
      await assertIdle(ua);
    });

    test('fails clearly when the trunk refuses our password again', async () => {
      const call = ua.invite({
        target: `sip:callee@127.0.0.1:${trunkPort}`,
        transport,
        offer: buildOffer({ ip: '127.0.0.1', port: 40102 }),
        credentials: { username: 'trunkuser', password: 'nope' },
      });
      const [cause] = await once(call, 'failed');
      assert.equal(cause.code, 'auth-failed');
      assert.equal(cause.status, 407);
      await assertIdle(ua);
    });

    test('answers OPTIONS keep-alives', async () => {
      const result = await ua.sendOptions(`sip:127.0.0.1:${trunkPort}`, transport);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.status, 200);
      await assertIdle(ua);
    });
  });
}

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/observability/logger.js';
import type { MediaDescriptionSummary } from '../../src/sip/sdp.js';
import { buildOffer } from '../../src/sip/sdp.js';
import { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { freePort } from '../helpers/ports.js';
import { startSippUas } from '../helpers/sipPeers.js';
import { assertIdle } from '../sip/uaHarness.js';

/**
 * sipp (uas_reinvite.xml) renegotiates an answered call: a re-INVITE we cannot accept (488),
 * a re-INVITE moving its RTP port and an UPDATE switching to PCMA. sipp checks our answers' m=
 * lines; we check the media updates we surface to the RTP layer.
 */

let ua: SipUserAgent;
before(async () => {
  ua = await SipUserAgent.create({
    address: '127.0.0.1',
    timers: { t1: 20, t2: 80, t4: 50 },
    logger: silentLogger(),
  });
});
after(async () => {
  await ua.close();
});

test('re-INVITE and UPDATE from the peer are answered with our SDP, or 488 when unacceptable', async () => {
  const port = await freePort();
  const peer = await startSippUas({
    scenario: 'uas_reinvite.xml',
    port,
    controlPort: await freePort({ tcp: false }),
    mediaPort: await freePort({ tcp: false, pairPlus2: true }),
    calls: 1,
  });
  try {
    const call = ua.invite({
      target: `sip:callee@127.0.0.1:${port}`,
      offer: buildOffer({ ip: '127.0.0.1', port: 40200 }),
    });
    const [, first] = (await once(call, 'answered')) as [string, MediaDescriptionSummary];
    const updates: MediaDescriptionSummary[] = [];
    await new Promise<void>((resolve) =>
      call.on('media-update', (_sdp, media) => {
        updates.push(media);
        if (updates.length === 2) resolve();
      }),
    );
    assert.equal(updates[0]!.port, first.port + 1000);
    assert.equal(updates[0]!.codec.name, 'PCMU');
    assert.equal(updates[1]!.codec.name, 'PCMA');
    assert.match(call.session!.localSdp, /m=audio 40200 RTP\/AVP 8\r\n/);
    call.bye();
    await once(call, 'ended');
    assert.equal(await peer.exitCode(10_000), 0, peer.output());
  } finally {
    await peer.stop();
  }
  await assertIdle(ua);
});

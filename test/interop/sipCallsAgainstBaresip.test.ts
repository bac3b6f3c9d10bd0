import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/observability/logger.js';
import { buildOffer } from '../../src/sip/sdp.js';
import { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { peerRtpPorts } from '../helpers/lanes.js';
import { freePort } from '../helpers/ports.js';
import { startBaresipCallee } from '../helpers/sipPeers.js';
import { assertIdle } from '../sip/uaHarness.js';

/** baresip (a real SIP phone) auto-answers our call, sends its audio to our offered port, and we hang up. */

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

test('baresip answers our offer, sends RTP to the address we offered, and takes our BYE', async () => {
  const port = await freePort();
  const callee = await startBaresipCallee({ port, rtpPorts: peerRtpPorts() });
  const rtp = createSocket('udp4');
  let packets = 0;
  rtp.on('message', () => packets++);
  await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
  try {
    const call = ua.invite({
      target: `sip:callee@127.0.0.1:${port}`,
      offer: buildOffer({ ip: '127.0.0.1', port: rtp.address().port }),
    });
    const [, media] = await once(call, 'answered');
    assert.equal(media.ip, '127.0.0.1');
    assert.ok(['PCMU', 'PCMA'].includes(media.codec.name));
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(packets > 5, `RTP packets from baresip: ${packets}`);
    call.bye();
    assert.deepEqual(await once(call, 'ended'), ['local', 'bye']);
  } finally {
    rtp.close();
    await callee.stop();
  }
  await assertIdle(ua);
});

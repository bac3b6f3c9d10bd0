/**
 * The SDP of a call names an address the far end can send RTP to: the RTP advertised address when
 * one is set (NAT), else for a wildcard bind the address the OS routes toward the peer — never
 * 0.0.0.0. SIP and RTP advertise separately.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { silentLogger } from '../../src/observability/logger.js';
import { OutboundCall } from '../../src/telephony/outboundCall.js';
import { Telephony, type TelephonyOptions } from '../../src/telephony/telephony.js';
import { ScriptedPeer } from '../sip/scriptedPeer.js';

const open: Array<{ close(): unknown }> = [];
after(async () => {
  for (const o of open.reverse()) await o.close();
});

async function telephony(options: Partial<TelephonyOptions>): Promise<Telephony> {
  const t = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: false,
    rtpPortMin: 27000,
    rtpPortMax: 27999,
    timers: { t1: 50 },
    logger: silentLogger(),
    ...options,
  });
  open.push(t);
  return t;
}

async function offeredInvite(t: Telephony): Promise<{ sdp: string; via: string; contact: string }> {
  const peer = await ScriptedPeer.create();
  open.push(peer);
  const call = await OutboundCall.place(t, { target: peer.uri('callee') });
  const invite = await peer.request('INVITE');
  call.hangup();
  return {
    sdp: invite.bodyText(),
    via: invite.headers.get('via') ?? '',
    contact: invite.headers.get('contact') ?? '',
  };
}

test('bound to 0.0.0.0, a call to a loopback peer offers 127.0.0.1 in o= and c=', async () => {
  const t = await telephony({ address: '0.0.0.0' });
  const { sdp, via, contact } = await offeredInvite(t);
  assert.match(sdp, /^o=.* IN IP4 127\.0\.0\.1\r$/m);
  assert.match(sdp, /^c=IN IP4 127\.0\.0\.1\r$/m);
  assert.match(via, /^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=[^;]+;rport$/);
  assert.match(contact, /@127\.0\.0\.1:/);
});

test('advertised addresses: SIP and RTP each name their own', async () => {
  const t = await telephony({
    address: '0.0.0.0',
    advertisedAddress: '203.0.113.7',
    rtpAdvertisedAddress: '198.51.100.20',
  });
  const { sdp, via, contact } = await offeredInvite(t);
  assert.match(sdp, /^o=.* IN IP4 198\.51\.100\.20\r$/m);
  assert.match(sdp, /^c=IN IP4 198\.51\.100\.20\r$/m);
  assert.match(via, /^SIP\/2\.0\/UDP 203\.0\.113\.7:/);
  assert.match(contact, /@203\.0\.113\.7:/);
});

test('a wildcard as RTP advertised address is refused before any socket opens', async () => {
  await assert.rejects(telephony({ rtpAdvertisedAddress: '0.0.0.0' }), /advertised address/);
});

/**
 * The caller identity a trunk call sends (From, and P-Asserted-Identity with `--pai`) names the
 * address the trunk reaches us at: the advertised address behind NAT, the route's source for a
 * wildcard bind — never the bind address 0.0.0.0 nor a private address the carrier cannot reach.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { TrunkAdmin } from '../../src/calls/trunkAdmin.js';
import { trunkDial } from '../../src/calls/trunkDial.js';
import { DnsResolver } from '../../src/net/dnsResolver.js';
import { silentLogger } from '../../src/observability/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { Telephony, type TelephonyOptions } from '../../src/telephony/telephony.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { ScriptedPeer } from '../sip/scriptedPeer.js';

const open: Array<{ close(): unknown }> = [];
after(async () => {
  for (const o of open.reverse()) await o.close();
});

async function identityOfInvite(options: Partial<TelephonyOptions>): Promise<{ from: string; pai: string }> {
  const tel = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: false,
    rtpPortMin: 27000,
    rtpPortMax: 27999,
    timers: { t1: 50 },
    logger: silentLogger(),
    ...options,
  });
  open.push(tel);
  const peer = await ScriptedPeer.create();
  open.push(peer);
  const store = SqliteStore.inMemory();
  open.push(store);
  const trunks = new TrunkAdmin(store, SecretBox.fromMasterKey('a master key for tests'));
  trunks.add({ name: 'carrier', uri: `sip:127.0.0.1:${peer.port}`, sendPai: true });
  const dial = trunkDial({
    telephony: tel,
    trunkPassword: () => undefined,
    ringTimeoutMs: 5000,
    dns: new DnsResolver({ servers: ['127.0.0.1:9'], timeoutMs: 100 }),
    log: silentLogger(),
  });
  const call = await dial({
    number: '13800000000',
    trunk: trunks.get('carrier'),
    callerNumber: '057188880000',
  });
  const invite = await peer.request('INVITE');
  call.hangup();
  return { from: invite.headers.get('From') ?? '', pai: invite.headers.get('P-Asserted-Identity') ?? '' };
}

test('behind NAT the caller identity names the advertised address', async () => {
  const { from, pai } = await identityOfInvite({ advertisedAddress: '192.0.2.7' });
  assert.match(from, /^<sip:057188880000@192\.0\.2\.7>;tag=/);
  assert.equal(pai, '<sip:057188880000@192.0.2.7>');
});

test('bound to 0.0.0.0 the caller identity names the address that reaches the trunk', async () => {
  const { from, pai } = await identityOfInvite({ address: '0.0.0.0' });
  assert.match(from, /^<sip:057188880000@127\.0\.0\.1>;tag=/);
  assert.equal(pai, '<sip:057188880000@127.0.0.1>');
});

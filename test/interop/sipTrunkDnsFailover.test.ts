/**
 * A trunk named by host name (RFC 3263), dialled through smartcall's trunk path against sipp on
 * 127.0.0.1, located through a test DNS server (never a public one): SRV failover from a target
 * that answers 503 to one that answers, the log naming the target that served, the TTL cache, and
 * NAPTR choosing TCP (with a first TCP target nobody listens on).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { TrunkAdmin } from '../../src/calls/trunkAdmin.js';
import { type Dial, trunkDial } from '../../src/calls/trunkDial.js';
import { DnsResolver } from '../../src/net/dnsResolver.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { Telephony } from '../../src/telephony/telephony.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { TestDnsServer } from '../helpers/dnsServer.js';
import { freePort } from '../helpers/ports.js';
import { type Peer, type SippOptions, startSippUas } from '../helpers/sipPeers.js';

const dns = new TestDnsServer();
const store = SqliteStore.inMemory();
const trunks = new TrunkAdmin(store, SecretBox.fromMasterKey('a master key for tests'));
const lines: Array<Record<string, unknown>> = [];
let tel: Telephony;
let dial: Dial;

before(async () => {
  const server = await dns.start();
  dns.ttl = 60;
  dns.records.set('a.trunk.test', ['127.0.0.1']);
  dns.records.set('b.trunk.test', ['127.0.0.1']);
  const rtp = await freePort({ tcp: false });
  tel = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: 0,
    rtpPortMin: rtp,
    rtpPortMax: rtp + 200,
    timers: { t1: 100 },
    logger: silentLogger(),
  });
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => {
    for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
  });
  dial = trunkDial({
    telephony: tel,
    trunkPassword: () => undefined,
    ringTimeoutMs: 10_000,
    dns: new DnsResolver({ servers: [server], timeoutMs: 2000 }),
    log: createLogger({ destination }),
  });
});
after(async () => {
  await tel.close();
  await dns.close();
  store.close();
});

async function sipp(scenario: string, calls: number, options: Partial<SippOptions> = {}): Promise<Peer> {
  return startSippUas({
    scenario,
    port: await freePort(),
    controlPort: await freePort({ tcp: false }),
    mediaPort: await freePort({ tcp: false, pairPlus2: true }),
    calls,
    args: ['-rtp_echo'],
    ...options,
  });
}

const portOf = (peer: Peer): number => Number(peer.child.spawnargs[peer.child.spawnargs.indexOf('-p') + 1]);

/** Places a call through the trunk, waits for the answer, hangs up. */
async function answeredCall(trunkName: string): Promise<void> {
  const call = await dial({
    number: '13800000000',
    trunk: trunks.get(trunkName),
    callerNumber: '057188880000',
  });
  const [outcome] = await Promise.race([
    once(call, 'answered').then(() => ['answered']),
    once(call, 'failed').then(([cause]) => [`failed: ${JSON.stringify(cause)}`]),
  ]);
  assert.equal(outcome, 'answered');
  call.hangup();
  await once(call, 'ended');
}

const logged = (msg: string) => lines.filter((l) => l.msg === msg);

test('the higher-priority SRV target answers 503: the call goes to the next one, the log names it', async () => {
  const dead = await sipp('uas_503.xml', 2);
  const live = await sipp('uas_echo.xml', 2);
  try {
    dns.srv.set('_sip._udp.trunk.test', [
      { priority: 20, weight: 0, port: portOf(live), target: 'b.trunk.test' },
      { priority: 10, weight: 0, port: portOf(dead), target: 'a.trunk.test' },
    ]);
    trunks.add({ name: 'named', uri: 'sip:trunk.test' });
    await answeredCall('named');
    const failover = logged('trunk target failed; trying the next');
    assert.equal(failover.length, 1);
    assert.equal(failover[0]!.target, `udp:127.0.0.1:${portOf(dead)}`);
    assert.equal(failover[0]!.host, 'a.trunk.test');
    assert.match(String(failover[0]!.reason), /^503/);
    const served = logged('trunk target served the call');
    assert.deepEqual(
      { target: served[0]!.target, host: served[0]!.host, outcome: served[0]!.outcome },
      { target: `udp:127.0.0.1:${portOf(live)}`, host: 'b.trunk.test', outcome: 'answered' },
    );

    // Within the records' TTL a second call asks nothing of the DNS server.
    const asked = dns.questions.length;
    assert.ok(asked >= 3, `NAPTR, SRV and A questions were asked: ${dns.questions.join(', ')}`);
    await answeredCall('named');
    assert.deepEqual(dns.questions.slice(asked), [], 'the second call was located from the cache');
    assert.equal(logged('trunk target served the call').length, 2);

    assert.equal(await dead.exitCode(15_000), 0, `the 503 target saw INVITE and ACK:\n${dead.output()}`);
    assert.equal(await live.exitCode(15_000), 0, `the live target saw the calls:\n${live.output()}`);
  } finally {
    await dead.stop();
    await live.stop();
  }
});

test('NAPTR prefers SIP over TCP: the call goes over TCP, past a TCP target nobody listens on', async () => {
  const live = await sipp('uas_echo.xml', 1, { transport: 'tcp' });
  const closed = await freePort();
  const udpDecoy = await sipp('uas_503.xml', 1);
  try {
    dns.naptr.set('naptr.test', [
      { order: 20, preference: 10, flags: 's', service: 'SIP+D2U', replacement: '_sip._udp.naptr.test' },
      { order: 10, preference: 10, flags: 's', service: 'SIP+D2T', replacement: '_sip._tcp.naptr.test' },
    ]);
    dns.srv.set('_sip._tcp.naptr.test', [
      { priority: 10, weight: 0, port: closed, target: 'a.trunk.test' },
      { priority: 20, weight: 0, port: portOf(live), target: 'b.trunk.test' },
    ]);
    dns.srv.set('_sip._udp.naptr.test', [
      { priority: 10, weight: 0, port: portOf(udpDecoy), target: 'a.trunk.test' },
    ]);
    trunks.add({ name: 'naptr', uri: 'sip:naptr.test' });
    lines.length = 0;
    await answeredCall('naptr');
    assert.equal(logged('trunk target failed; trying the next')[0]!.target, `tcp:127.0.0.1:${closed}`);
    assert.equal(logged('trunk target served the call')[0]!.target, `tcp:127.0.0.1:${portOf(live)}`);
    assert.equal(await live.exitCode(15_000), 0, `the TCP target saw the call:\n${live.output()}`);
    assert.equal(udpDecoy.child.exitCode, null, 'the UDP target (NAPTR order 20) was never asked');
  } finally {
    await live.stop();
    await udpDecoy.stop();
  }
});

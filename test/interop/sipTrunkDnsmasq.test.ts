/**
 * A trunk by host name located through dnsmasq (Debian's dnsmasq-base on a loopback port, the real
 * DNS server beside the TestDnsServer double of sipTrunkDnsFailover): SRV by priority with the
 * first target dead (nobody listens there), the next one serving the call; NAPTR choosing TCP.
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
import { type Dnsmasq, startDnsmasq } from '../helpers/dnsmasq.js';
import { freePort } from '../helpers/ports.js';
import { type Peer, startSippUas } from '../helpers/sipPeers.js';

const store = SqliteStore.inMemory();
const trunks = new TrunkAdmin(store, SecretBox.fromMasterKey('a master key for tests'));
const lines: Array<Record<string, unknown>> = [];
let tel: Telephony;
let dns: Dnsmasq;
let udpLive: Peer;
let tcpLive: Peer;
let deadUdp: number;
let deadTcp: number;
let dial: Dial;

before(async () => {
  const rtp = await freePort({ tcp: false });
  const sipp = async (transport: 'udp' | 'tcp') =>
    startSippUas({
      scenario: 'uas_echo.xml',
      port: await freePort(),
      controlPort: await freePort({ tcp: false }),
      mediaPort: await freePort({ tcp: false, pairPlus2: true }),
      calls: 1,
      transport,
      args: ['-rtp_echo'],
    });
  udpLive = await sipp('udp');
  tcpLive = await sipp('tcp');
  [deadUdp, deadTcp] = [await freePort(), await freePort()];
  const portOf = (peer: Peer) => Number(peer.child.spawnargs[peer.child.spawnargs.indexOf('-p') + 1]);
  dns = await startDnsmasq({
    localDomain: 'test',
    hosts: { 'a.carrier.test': '127.0.0.1', 'b.carrier.test': '127.0.0.1' },
    srv: [
      {
        name: '_sip._udp.carrier.test',
        target: 'b.carrier.test',
        port: portOf(udpLive),
        priority: 20,
        weight: 0,
      },
      { name: '_sip._udp.carrier.test', target: 'a.carrier.test', port: deadUdp, priority: 10, weight: 0 },
      { name: '_sip._tcp.naptr.test', target: 'a.carrier.test', port: deadTcp, priority: 10, weight: 0 },
      {
        name: '_sip._tcp.naptr.test',
        target: 'b.carrier.test',
        port: portOf(tcpLive),
        priority: 20,
        weight: 0,
      },
      { name: '_sip._udp.naptr.test', target: 'a.carrier.test', port: deadUdp, priority: 10, weight: 0 },
    ],
    naptr: [
      {
        name: 'naptr.test',
        order: 20,
        preference: 10,
        flags: 's',
        service: 'SIP+D2U',
        replacement: '_sip._udp.naptr.test',
      },
      {
        name: 'naptr.test',
        order: 10,
        preference: 10,
        flags: 's',
        service: 'SIP+D2T',
        replacement: '_sip._tcp.naptr.test',
      },
    ],
  });
  tel = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: 0,
    rtpPortMin: rtp,
    rtpPortMax: rtp + 200,
    timers: { t1: 50 }, // Timer B (64·T1 = 3.2 s) bounds the wait at the dead target
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
    dns: new DnsResolver({ servers: [dns.server], timeoutMs: 2000 }),
    log: createLogger({ destination }),
  });
});
after(async () => {
  await tel?.close();
  await dns?.stop();
  await udpLive?.stop();
  await tcpLive?.stop();
  store.close();
});

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

test('dnsmasq SRV: the first target is dead, the call goes to the next one and the log names both', async () => {
  lines.length = 0;
  trunks.add({ name: 'carrier', uri: 'sip:carrier.test' });
  await answeredCall('carrier');
  const failed = logged('trunk target failed; trying the next');
  assert.equal(failed.length, 1, JSON.stringify(lines));
  assert.equal(failed[0]!.target, `udp:127.0.0.1:${deadUdp}`);
  assert.equal(failed[0]!.host, 'a.carrier.test');
  assert.equal(logged('trunk target served the call')[0]!.host, 'b.carrier.test');
  assert.ok(
    dns.queries().some((q) => q === 'query[SRV] _sip._udp.carrier.test'),
    `dnsmasq was asked for the SRV records: ${dns.queries().join(', ')}`,
  );
  assert.equal(await udpLive.exitCode(15_000), 0, `the live target saw the call:\n${udpLive.output()}`);
});

test('dnsmasq NAPTR prefers SIP over TCP: past a dead TCP target to the live one', async () => {
  lines.length = 0;
  trunks.add({ name: 'naptr', uri: 'sip:naptr.test' });
  await answeredCall('naptr');
  assert.equal(logged('trunk target failed; trying the next')[0]!.target, `tcp:127.0.0.1:${deadTcp}`);
  assert.equal(
    logged('trunk target served the call')[0]!.target,
    `tcp:127.0.0.1:${tcpLive.child.spawnargs[tcpLive.child.spawnargs.indexOf('-p') + 1]}`,
  );
  assert.ok(dns.queries().includes('query[NAPTR] naptr.test'), dns.queries().join(', '));
  assert.equal(await tcpLive.exitCode(15_000), 0, `the TCP target saw the call:\n${tcpLive.output()}`);
});

/**
 * SIP over TLS against kamailio (tls.so) on 127.0.0.1, with a CA and certificates the test makes:
 * a `sips:` trunk by host name (located through a test DNS server) reaches a sipp callee through
 * kamailio and audio flows; a trunk that does not trust the CA, or names a host the certificate
 * does not carry, fails with the reason; a trunk registers over TLS; and kamailio relays OPTIONS
 * and an INVITE over TLS to smartcall's TLS listener (200, and the door's 403 for a stranger).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { TrunkAdmin } from '../../src/calls/trunkAdmin.js';
import { type Dial, trunkDial } from '../../src/calls/trunkDial.js';
import { TrunkMonitor } from '../../src/calls/trunkMonitor.js';
import { TrunkRegistrar } from '../../src/calls/trunkRegistrar.js';
import { systemClock } from '../../src/clock/clock.js';
import { DnsResolver } from '../../src/net/dnsResolver.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import type { CallFailure } from '../../src/sip/index.js';
import { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { InboundGate } from '../../src/telephony/inboundGate.js';
import { Telephony } from '../../src/telephony/telephony.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { TestDnsServer } from '../helpers/dnsServer.js';
import { freePort } from '../helpers/ports.js';
import { fixture, type Peer, startKamailioTls, startSippUas } from '../helpers/sipPeers.js';
import { tempDir } from '../helpers/tempDir.js';
import { issueCert, makeTestCa, type TestCa } from '../helpers/testCa.js';

const dir = tempDir('smartcall-kamailio-tls-');
const dns = new TestDnsServer();
const store = SqliteStore.inMemory();
const trunks = new TrunkAdmin(store, SecretBox.fromMasterKey('a master key for tests'));
const lines: Array<Record<string, unknown>> = [];
let ca: TestCa;
let tel: Telephony;
let dial: Dial;
let kamailio: Peer;
let callee: Peer;
let tlsPort: number;
let udpPort: number;

before(async () => {
  ca = makeTestCa(dir.path, ['tls.trunk.test'], ['127.0.0.1']);
  const listenerCert = issueCert(dir.path, 'smartcall', ['smartcall.test'], ['127.0.0.1']);
  const server = await dns.start();
  dns.records.set('tls.trunk.test', ['127.0.0.1']);
  dns.records.set('other.trunk.test', ['127.0.0.1']);
  const rtp = await freePort({ tcp: false });
  const smartcallTlsPort = await freePort();
  // The platform's door: no trunk lists 127.0.0.1 as a source, so INVITEs to us get 403.
  const door = new InboundGate({
    sources: () => store.trunks.list().flatMap((t) => t.inboundFrom ?? []),
    clock: systemClock,
    log: silentLogger(),
  });
  tel = await Telephony.create({
    address: '127.0.0.1',
    sipUdpPort: 0,
    sipTcpPort: 0,
    // No CA configured globally: trust comes from each trunk's --tls-ca-file.
    sipTls: { port: smartcallTlsPort, server: { cert: listenerCert.cert, key: listenerCert.key } },
    rtpPortMin: rtp,
    rtpPortMax: rtp + 200,
    timers: { t1: 100 },
    admitInvite: (request, source) => door.admit(request, source),
    logger: silentLogger(),
  });
  const destination = logTo();
  dial = trunkDial({
    telephony: tel,
    trunkPassword: () => undefined,
    ringTimeoutMs: 10_000,
    dns: new DnsResolver({ servers: [server], timeoutMs: 2000 }),
    log: createLogger({ destination }),
  });
  const calleePort = await freePort();
  callee = await startSippUas({
    scenario: 'uas_echo.xml',
    port: calleePort,
    controlPort: await freePort({ tcp: false }),
    mediaPort: await freePort({ tcp: false, pairPlus2: true }),
    args: ['-rtp_echo'],
  });
  tlsPort = await freePort();
  udpPort = await freePort();
  kamailio = await startKamailioTls({
    tlsPort,
    udpPort,
    calleeUri: `sip:127.0.0.1:${calleePort}`,
    smartcallUri: `sip:127.0.0.1:${smartcallTlsPort};transport=tls`,
    certFile: join(dir.path, 'server.pem'),
    keyFile: join(dir.path, 'server.key'),
    caFile: ca.caFile,
  });
});
after(async () => {
  await tel?.close();
  await kamailio?.stop();
  await callee?.stop();
  await dns.close();
  store.close();
  dir.remove();
});

/** A log destination whose lines land in `lines`. */
function logTo(): PassThrough {
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => {
    for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
  });
  return destination;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function dialTrunk(name: string) {
  return dial({ number: '13800000000', trunk: trunks.get(name), callerNumber: '057188880000' });
}

test('a sips: trunk by host name: kamailio relays the call over TLS, it is answered and audio flows', async () => {
  trunks.add({ name: 'tls', uri: `sips:tls.trunk.test:${tlsPort}`, tlsCaFile: ca.caFile });
  const call = await dialTrunk('tls');
  const [outcome] = await Promise.race([
    once(call, 'answered').then(() => ['answered']),
    once(call, 'failed').then(([cause]) => [`failed: ${JSON.stringify(cause)}`]),
  ]);
  assert.equal(outcome, 'answered', kamailio.output());
  // sipp echoes our RTP: packets come back.
  for (let i = 0; i < 50 && call.media.stats.rtp.packetsReceived < 5; i++) await sleep(20);
  assert.ok(call.media.stats.rtp.packetsReceived >= 5, JSON.stringify(call.media.stats.rtp));
  const served = lines.filter((l) => l.msg === 'trunk target served the call').at(-1)!;
  assert.deepEqual([served.target, served.host], [`tls:127.0.0.1:${tlsPort}`, 'tls.trunk.test']);
  assert.ok(tel.ua.stats().transport.tlsConnectionsOpened >= 1);
  call.hangup();
  await once(call, 'ended');
});

/** The failure of a call that must fail (an answer fails the test at once instead of hanging). */
async function failure(name: string): Promise<CallFailure> {
  const call = await dialTrunk(name);
  const [how, cause] = await Promise.race([
    once(call, 'failed').then(([c]) => ['failed', c as CallFailure] as const),
    once(call, 'answered').then(() => ['answered', undefined] as const),
  ]);
  if (how === 'answered') {
    call.hangup();
    await once(call, 'ended');
  }
  assert.equal(how, 'failed', 'the call must not be answered');
  return cause!;
}

test('a trunk that does not trust the CA fails the call with the certificate problem', async () => {
  trunks.add({ name: 'untrusted', uri: `sips:tls.trunk.test:${tlsPort}` });
  const cause = await failure('untrusted');
  assert.equal(cause.code, 'transport-error');
  assert.equal(
    cause.reason,
    `TLS to tls.trunk.test:${tlsPort} (127.0.0.1) failed: self-signed certificate in certificate chain`,
  );
});

test('a trunk name the certificate does not carry fails the call with the name mismatch', async () => {
  trunks.add({
    name: 'mismatch',
    uri: `sip:other.trunk.test:${tlsPort};transport=tls`,
    tlsCaFile: ca.caFile,
  });
  const cause = await failure('mismatch');
  assert.equal(cause.code, 'transport-error');
  assert.match(
    cause.reason,
    new RegExp(
      `^TLS to other\\.trunk\\.test:${tlsPort} \\(127\\.0\\.0\\.1\\) failed: Hostname/IP does not match certificate's altnames: Host: other\\.trunk\\.test\\. is not in the cert's altnames: DNS:tls\\.trunk\\.test, IP Address:127\\.0\\.0\\.1`,
    ),
  );
});

test('a TLS trunk registers at kamailio over TLS', async () => {
  const t = trunks.add({
    name: 'registered',
    uri: `sips:127.0.0.1:${tlsPort}`,
    tlsCaFile: ca.caFile,
    register: true,
    username: 'alice',
    password: 'unused',
  });
  const registrar = new TrunkRegistrar({
    ua: tel.ua,
    store,
    password: () => 'unused',
    clock: systemClock,
    log: silentLogger(),
  });
  registrar.start([t]);
  try {
    for (let i = 0; i < 100 && registrar.status('registered')?.state !== 'registered'; i++) await sleep(20);
    assert.equal(
      registrar.status('registered')?.state,
      'registered',
      JSON.stringify(registrar.status('registered')),
    );
  } finally {
    await registrar.stop();
    trunks.remove('registered');
  }
});

test("OPTIONS keep-alive to a TLS trunk trusts the trunk's CA file", async () => {
  const t = trunks.add({
    name: 'pinged',
    uri: `sips:127.0.0.1:${tlsPort}`,
    tlsCaFile: ca.caFile,
    optionsIntervalS: 60,
  });
  // A user agent of its own: no connection or remembered trust from the other tests helps it.
  const ua = await SipUserAgent.create({
    address: '127.0.0.1',
    udpPort: false,
    tcpPort: false,
    logger: silentLogger(),
  });
  const monitor = new TrunkMonitor(ua, [t], createLogger({ destination: logTo() }), {
    naptr: async () => [],
    srv: async () => [],
    addresses: async () => [],
  });
  try {
    for (let i = 0; i < 100 && !lines.some((l) => l.msg === 'trunk answers OPTIONS: up'); i++)
      await sleep(20);
    assert.ok(lines.some((l) => l.msg === 'trunk answers OPTIONS: up' && l.trunk === 'pinged'));
  } finally {
    monitor.stop();
    await ua.close();
    trunks.remove('pinged');
  }
});

/** sipp as a UAC over UDP to kamailio, which relays over TLS to smartcall's listener. */
function sippUac(scenario: string): Promise<{ code: number | null; output: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'sipp-uac-'));
  return Promise.all([freePort(), freePort(), freePort({ pairPlus2: true })]).then(
    ([port, control, media]) =>
      new Promise((resolve) => {
        execFile(
          'sipp',
          [
            `127.0.0.1:${udpPort}`,
            ...['-sf', fixture(`sipp/${scenario}`), '-s', 'smartcall', '-i', '127.0.0.1', '-mi', '127.0.0.1'],
            ...['-p', String(port), '-cp', String(control), '-mp', String(media)],
            ...['-m', '1', '-nostdin', '-timeout', '10s'],
          ],
          { cwd, timeout: 15_000 },
          (err, stdout, stderr) => {
            rmSync(cwd, { recursive: true, force: true });
            const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
            resolve({ code, output: `${stdout}${stderr}` });
          },
        );
      }),
  );
}

test("kamailio's requests over TLS reach smartcall's listener: OPTIONS 200, a stranger's INVITE 403", async () => {
  const before = tel.ua.stats();
  const options = await sippUac('uac_options_200.xml');
  assert.equal(options.code, 0, `${options.output}\n${kamailio.output()}`);
  const invite = await sippUac('uac_invite_403.xml');
  assert.equal(invite.code, 0, `${invite.output}\n${kamailio.output()}`);
  const after = tel.ua.stats();
  assert.equal(after.refusedInvites - before.refusedInvites, 1, 'the door refused the INVITE');
  assert.ok(
    after.transport.tlsConnectionsOpened > before.transport.tlsConnectionsOpened,
    'kamailio connected to the TLS listener',
  );
});

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, afterEach, before, test } from 'node:test';
import { TrunkAdmin } from '../../src/calls/trunkAdmin.js';
import { TrunkRegistrar } from '../../src/calls/trunkRegistrar.js';
import { systemClock } from '../../src/clock/clock.js';
import { DnsResolver } from '../../src/net/dnsResolver.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { IncomingInvite } from '../../src/sip/incomingInvite.js';
import type { SipDns } from '../../src/sip/index.js';
import { buildOffer } from '../../src/sip/sdp.js';
import { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { InboundGate } from '../../src/telephony/inboundGate.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { startDnsmasq } from '../helpers/dnsmasq.js';
import { freePort } from '../helpers/ports.js';
import { type Peer, startKamailioRegistrar } from '../helpers/sipPeers.js';
import { assertIdle, waitFor } from '../sip/uaHarness.js';

/**
 * Kamailio as the registrar of a trunk: digest (401, qop=auth), 423 below Min-Expires, bindings
 * in usrloc; INVITEs to the trunk user are routed (lookup("location")) to the registered Contact.
 * The trunk registrar saves every state in the store, as the server does for `trunk list --json`.
 */

const TIMERS = { t1: 20, t2: 80, t4: 50 };
const USER = 'trunkuser';
const PASS = 'trunkpass';
const MIN_EXPIRES = 2;

let kamailio: Peer;
let port: number;
let ua: SipUserAgent;
let caller: SipUserAgent;
let store: SqliteStore;
let registrar: TrunkRegistrar | undefined;
/** The door of `ua` (default: everyone in); a test puts the server's door there. */
let door: InboundGate | undefined;

before(async () => {
  port = await freePort();
  kamailio = await startKamailioRegistrar({ port, user: USER, pass: PASS, minExpires: MIN_EXPIRES });
  ua = await SipUserAgent.create({
    address: '127.0.0.1',
    timers: TIMERS,
    logger: silentLogger(),
    admitInvite: (request, source) => door?.admit(request, source) ?? true,
  });
  caller = await SipUserAgent.create({ address: '127.0.0.1', timers: TIMERS, logger: silentLogger() });
});
afterEach(async () => {
  door = undefined;
  await registrar?.stop();
  registrar = undefined;
  store?.close();
});
after(async () => {
  await caller.close();
  await ua.close();
  await kamailio.stop();
});

function startRegistrar(
  password: string,
  expiresS: number,
  retryDelaysMs?: number[],
  username = USER,
  where: { uri?: string; dns?: SipDns } = {},
): TrunkRegistrar {
  store = SqliteStore.inMemory();
  const admin = new TrunkAdmin(store, SecretBox.fromMasterKey('a master key for tests'));
  admin.add({
    name: 'carrier',
    uri: where.uri ?? `sip:127.0.0.1:${port}`,
    username,
    password,
    register: true,
    registerExpiresS: expiresS,
  });
  registrar = new TrunkRegistrar({
    ua,
    store,
    password: (t) => admin.password(t),
    clock: systemClock,
    log: silentLogger(),
    ...(retryDelaysMs ? { retryDelaysMs } : {}),
    ...(where.dns ? { dns: where.dns } : {}),
  });
  registrar.start(store.trunks.list());
  return registrar;
}

const saved = () => store.trunks.registration('carrier');

/** REGISTERs kamailio logged for an AOR user (their Expires values), from its `REQ` lines. */
function registersSeen(user = USER): string[] {
  const lines = kamailio.output().matchAll(/REQ REGISTER \S+ from \S+ fu=<([^>]*)> expires=<(\d*)>/g);
  return [...lines].filter((m) => m[1] === user).map((m) => m[2]!);
}

/** An INVITE from another user agent to the trunk user, through kamailio: the status it ends with. */
async function callTrunkUser(seen: IncomingInvite[]): Promise<number> {
  const onIncoming = (call: IncomingInvite) => {
    seen.push(call);
    call.reject(486);
  };
  ua.on('incoming', onIncoming);
  try {
    const call = caller.invite({
      target: `sip:${USER}@127.0.0.1:${port}`,
      transport: 'udp',
      offer: buildOffer({ ip: '127.0.0.1', port: 40200 }),
    });
    const [cause] = await once(call, 'failed');
    return cause.status as number;
  } finally {
    ua.off('incoming', onIncoming);
  }
}

test('registers with digest, honours 423, refreshes before expiry, is reachable as the trunk, unregisters', async () => {
  startRegistrar(PASS, 1);
  await waitFor('registered', () => saved()?.state === 'registered', 5000);
  const first = saved()!;
  assert.equal(first.expiresS, MIN_EXPIRES, '423 Interval Too Brief: Min-Expires asked for and granted');
  assert.equal(first.lastError, null);
  assert.equal(first.contactUser, 'trunk-carrier');
  // Against the saved time, not now: on a slow machine the refresh (due within 1 s) may already run.
  assert.ok(first.nextAttemptAt! > first.updatedAt && first.nextAttemptAt! <= first.updatedAt + 1000);
  // kamailio's log lines may arrive after the answers.
  await waitFor('kamailio logs', () => registersSeen().length >= 3);
  assert.deepEqual(registersSeen().slice(0, 3), ['1', '1', String(MIN_EXPIRES)], kamailio.output());

  const seen: IncomingInvite[] = [];
  assert.equal(await callTrunkUser(seen), 486, 'kamailio found the binding and relayed the INVITE');
  assert.equal(seen[0]?.registration, 'carrier', 'the INVITE arrived on the trunk contact');
  assert.match(seen[0]!.invite.uri.toString(), /^sip:trunk-carrier@127\.0\.0\.1:/);

  // Past two lifetimes of the first binding: only refreshes keep it in the location table.
  const before = registersSeen().length;
  await new Promise((r) => setTimeout(r, MIN_EXPIRES * 1000 + 1500));
  assert.ok(registersSeen().length >= before + 2, `refreshes: ${registersSeen().join(',')}`);
  assert.equal(saved()?.state, 'registered');
  assert.equal(await callTrunkUser(seen), 486, 'still registered after the first lifetime ended');
  assert.equal(seen[1]?.registration, 'carrier');

  await registrar!.stop();
  registrar = undefined;
  await waitFor('kamailio logs the removal', () => registersSeen().at(-1) === '0');
  assert.equal(saved()?.state, 'unregistered');
  assert.equal(await callTrunkUser(seen), 404, 'kamailio no longer knows the contact');
  assert.equal(seen.length, 2);
  await assertIdle(ua);
});

test('a wrong password leaves the trunk failing with the last error, attempts spaced by the back-off', async () => {
  startRegistrar('wrong', 60, [400, 800], 'otheruser');
  await waitFor('failing', () => saved()?.state === 'failing', 5000);
  const failing = saved()!;
  assert.equal(failing.lastError, '401 Unauthorized');
  const wait = failing.nextAttemptAt! - failing.updatedAt;
  assert.ok(wait >= 350 && wait <= 450, `next attempt ${wait} ms after the first failure`);
  await new Promise((r) => setTimeout(r, 1500));
  // 0 ms, ~400 ms, ~1200 ms: three attempts (a REGISTER and its answer to the challenge each).
  const attempts = registrar!.status('carrier')!.failures;
  assert.ok(attempts >= 2 && attempts <= 3, `${attempts} attempts in 1.5 s`);
  // Each attempt: a REGISTER, and one answer to the challenge, then it gives up.
  await waitFor('kamailio logs', () => registersSeen('otheruser').length >= attempts * 2);
  const logged = registersSeen('otheruser').length;
  assert.ok(logged <= attempts * 2 + 2, `${logged} REGISTERs for ${attempts} failed attempts`);
  assert.equal(saved()?.state, 'failing');
  const seen: IncomingInvite[] = [];
  assert.equal(await callTrunkUser(seen), 404, 'never registered');
});

test('the door admits the registered flow without an --inbound-from range, and no one else on that Contact', async () => {
  // The server's door with no trunk ranges: only the registrar's flow to our binding comes in.
  door = new InboundGate({
    sources: () => [],
    registered: (request, source) => registrar?.vouches(request, source) ?? false,
    clock: systemClock,
    log: silentLogger(),
  });
  startRegistrar(PASS, 60);
  await waitFor('registered', () => saved()?.state === 'registered', 5000);
  const seen: IncomingInvite[] = [];
  assert.equal(await callTrunkUser(seen), 486, 'the INVITE relayed by the registrar came in');
  assert.equal(seen[0]?.registration, 'carrier');

  // A stranger on another address who guessed the Contact: 403, no call.
  const stranger = await SipUserAgent.create({
    address: '127.0.0.2',
    timers: TIMERS,
    logger: silentLogger(),
  });
  try {
    const call = stranger.invite({
      target: ua.contactFor('udp', 'trunk-carrier', '127.0.0.2').replace(/^<|>$/g, ''),
      transport: 'udp',
      offer: buildOffer({ ip: '127.0.0.2', port: 40210 }),
    });
    const [cause] = await once(call, 'failed');
    assert.equal(cause.status, 403);
    assert.equal(seen.length, 1);
    assert.equal(ua.stats().refusedInvites, 1);
  } finally {
    await stranger.close();
  }
});

test('a registrar named by host name is located by SRV (dnsmasq) and the binding works', async (t) => {
  const dns = await startDnsmasq({
    localDomain: 'test',
    hosts: { 'edge.registrar.test': '127.0.0.1' },
    srv: [{ name: '_sip._udp.registrar.test', target: 'edge.registrar.test', port, priority: 10, weight: 0 }],
  });
  t.after(() => dns.stop());
  startRegistrar(PASS, 60, undefined, USER, {
    uri: 'sip:registrar.test',
    dns: new DnsResolver({ servers: [dns.server], timeoutMs: 2000 }),
  });
  await waitFor('registered', () => saved()?.state === 'registered', 5000);
  assert.ok(dns.queries().includes('query[SRV] _sip._udp.registrar.test'), dns.queries().join(', '));
  const seen: IncomingInvite[] = [];
  assert.equal(await callTrunkUser(seen), 486, 'kamailio found the binding and relayed the INVITE');
  assert.equal(seen[0]?.registration, 'carrier');
});

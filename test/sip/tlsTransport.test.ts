/**
 * SIP over TLS between two of our user agents on loopback, with certificates from a CA the test
 * makes: the server is checked against the CA and the name, failures say why, responses come back
 * on the connection, Via says TLS and Contact says sips:/transport=tls.
 */
import assert from 'node:assert/strict';
import { type EventEmitter, once } from 'node:events';
import { after, before, test } from 'node:test';
import type { CallFailure } from '../../src/sip/callFailure.js';
import type { IncomingInvite } from '../../src/sip/incomingInvite.js';
import type { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { tempDir } from '../helpers/tempDir.js';
import { issueCert, makeTestCa, type TestCa } from '../helpers/testCa.js';
import { assertIdle, createUa, offer } from './uaHarness.js';

const dir = tempDir('smartcall-tls-');

/** The failure of a call that must fail (an answer fails the test at once instead of hanging). */
async function failureOf(call: EventEmitter): Promise<CallFailure> {
  const [how, value] = await Promise.race([
    once(call, 'failed').then(([cause]) => ['failed', cause] as const),
    once(call, 'answered').then(() => ['answered', undefined] as const),
  ]);
  assert.equal(how, 'failed', 'the call must not be answered');
  return value as CallFailure;
}
/** An event of a call, or a failure after `ms` (an ACK or BYE that never arrived). */
function eventWithin(call: EventEmitter, event: string, ms = 3000): Promise<unknown[]> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    once(call, event),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
let ca: TestCa;
let client: { cert: string; key: string };
let server: SipUserAgent;
let tlsPort: number;

before(async () => {
  ca = makeTestCa(dir.path, ['trunk.test'], ['127.0.0.1']);
  client = issueCert(dir.path, 'client', ['client.test']);
  server = await createUa({
    udpPort: false,
    tcpPort: false,
    tls: { port: 0, server: { cert: ca.cert, key: ca.key } },
  });
  tlsPort = server.localEndpoint('tls')!.port;
  server.on('incoming', (call: IncomingInvite) => call.answer(offer(40200)));
});
after(async () => {
  await server.close();
  dir.remove();
});

test('OPTIONS over TLS to an IP literal: the IP SAN is checked against the configured CA', async () => {
  const ua = await createUa({ tls: { client: { ca: ca.ca } } });
  try {
    const r = await ua.sendOptions(`sip:127.0.0.1:${tlsPort};transport=tls`);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.status, 200);
    assert.equal(ua.stats().transport.tlsConnectionsOpened, 1);
    assert.equal(ua.stats().tlsConnections, 1);
  } finally {
    await ua.close();
  }
});

test('a server from a CA nobody configured fails with the peer and the cause', async () => {
  const ua = await createUa();
  try {
    const r = await ua.sendOptions(`sips:127.0.0.1:${tlsPort}`);
    assert.equal(r.ok, false);
    assert.match(
      (r as { message: string }).message,
      new RegExp(`^TLS to 127\\.0\\.0\\.1:${tlsPort} failed: unable to verify the first certificate$`),
    );
    assert.equal(ua.stats().transport.tlsHandshakeErrors, 1);
    await assertIdle(ua);
  } finally {
    await ua.close();
  }
});

test('a trunk name the certificate does not carry fails the INVITE with the name mismatch', async () => {
  const ua = await createUa({ tls: { client: { ca: ca.ca } } });
  try {
    const call = ua.invite({
      target: `sips:100@wrong.test`,
      hops: [{ protocol: 'tls', address: '127.0.0.1', port: tlsPort, tls: { serverName: 'wrong.test' } }],
      offer: offer(40202),
    });
    const cause = await failureOf(call);
    assert.equal(cause.code, 'transport-error');
    assert.match(
      cause.reason,
      new RegExp(
        `^TLS to wrong\\.test:${tlsPort} \\(127\\.0\\.0\\.1\\) failed: Hostname/IP does not match certificate's altnames: Host: wrong\\.test`,
      ),
    );
    await assertIdle(ua);
  } finally {
    await ua.close();
  }
});

test('a call over TLS by name: Via TLS, Contact sips:, answered and ended on the connection', async () => {
  const ua = await createUa({ udpPort: false, tcpPort: false });
  const seen = once(server, 'incoming') as Promise<[IncomingInvite]>;
  try {
    const call = ua.invite({
      target: `sips:100@trunk.test`,
      // The hop's own CA (a trunk's --tls-ca-file) is enough: the UA has none configured.
      hops: [
        {
          protocol: 'tls',
          address: '127.0.0.1',
          port: tlsPort,
          tls: { serverName: 'trunk.test', ca: ca.ca },
        },
      ],
      offer: offer(40204),
    });
    const [incoming] = await seen;
    assert.match(incoming.invite.topVia.toString(), /^SIP\/2\.0\/TLS 127\.0\.0\.1:5061;/);
    assert.match(incoming.invite.headers.get('Contact') ?? '', /^<sips:smartcall@127\.0\.0\.1:5061>$/);
    assert.equal(incoming.inbound.source.protocol, 'tls');
    await once(call, 'answered');
    assert.equal(call.bye(), true);
    await once(call, 'ended');
    await assertIdle(ua);
  } finally {
    await ua.close();
  }
});

test("a connection verified with one trunk's CA is not reused for a trunk that does not trust it", async () => {
  const ua = await createUa({ udpPort: false, tcpPort: false });
  try {
    const hop = (tls: { serverName: string; ca?: string }) => [
      { protocol: 'tls' as const, address: '127.0.0.1', port: tlsPort, tls },
    ];
    const trusted = ua.invite({
      target: 'sips:100@trunk.test',
      hops: hop({ serverName: 'trunk.test', ca: ca.ca }),
      offer: offer(40206),
    });
    await once(trusted, 'answered');
    const untrusted = ua.invite({
      target: 'sips:100@trunk.test',
      hops: hop({ serverName: 'trunk.test' }),
      offer: offer(40208),
    });
    const cause = await failureOf(untrusted);
    assert.match(
      cause.reason,
      /^TLS to trunk\.test:\d+ \(127\.0\.0\.1\) failed: unable to verify the first certificate$/,
    );
    assert.equal(trusted.bye(), true);
    await once(trusted, 'ended');
    await assertIdle(ua);
  } finally {
    await ua.close();
  }
});

test('a listener that requires client certificates takes ours and refuses a caller without one', async () => {
  const strict = await createUa({
    udpPort: false,
    tcpPort: false,
    tls: { port: 0, server: { cert: ca.cert, key: ca.key, ca: ca.ca, requireClientCert: true } },
  });
  const port = strict.localEndpoint('tls')!.port;
  const withCert = await createUa({ tls: { client: { ca: ca.ca, cert: client.cert, key: client.key } } });
  const without = await createUa({ tls: { client: { ca: ca.ca } } });
  try {
    const ok = await withCert.sendOptions(`sip:127.0.0.1:${port};transport=tls`);
    assert.ok(ok.ok && ok.status === 200, JSON.stringify(ok));
    const refused = await without.sendOptions(`sip:127.0.0.1:${port};transport=tls`);
    assert.equal(refused.ok, false, 'no answer without a client certificate');
    assert.ok(strict.stats().transport.tlsHandshakeErrors >= 1);
    assert.equal(strict.stats().transport.received, 1, 'only the caller with a certificate got through');
  } finally {
    await Promise.all([withCert.close(), without.close(), strict.close()]);
  }
});

test('a listener certificate that does not fit its key stops the user agent from starting', async () => {
  const other = issueCert(dir.path, 'other', ['other.test']);
  await assert.rejects(
    createUa({ tls: { port: 0, server: { cert: ca.cert, key: other.key } } }),
    /TLS listener certificate\/key not usable: .*key values mismatch/,
  );
});

test("our BYE to a TLS caller whose certificate names no IP goes on the caller's connection", async () => {
  // The caller (a carrier) presents a certificate for a name only; its Contact is an IP.
  const named = issueCert(dir.path, 'carrier', ['carrier.test']);
  const carrier = await createUa({
    udpPort: false,
    tcpPort: false,
    tls: { port: 0, server: { cert: named.cert, key: named.key } },
  });
  const us = await createUa({
    udpPort: false,
    tcpPort: false,
    tls: { port: 0, server: { cert: ca.cert, key: ca.key }, client: { ca: ca.ca } },
  });
  try {
    const incoming = once(us, 'incoming') as Promise<[IncomingInvite]>;
    const call = carrier.invite({
      target: 'sips:100@trunk.test',
      hops: [
        {
          protocol: 'tls',
          address: '127.0.0.1',
          port: us.localEndpoint('tls')!.port,
          tls: { serverName: 'trunk.test', ca: ca.ca },
        },
      ],
      offer: offer(40210),
    });
    const [ours] = await incoming;
    ours.answer(offer(40212));
    await once(call, 'answered');
    await eventWithin(ours, 'confirmed');
    const carrierEnded = eventWithin(call, 'ended');
    assert.equal(ours.bye(), true);
    const [by, reason] = await carrierEnded;
    assert.deepEqual([by, reason], ['remote', 'bye'], 'the carrier got our BYE');
    assert.equal(us.stats().transport.tlsConnectionsOpened, 1, 'no second connection was opened');
    assert.equal(us.stats().transport.tlsHandshakeErrors, 0);
    await Promise.all([assertIdle(us), assertIdle(carrier)]);
  } finally {
    await Promise.all([us.close(), carrier.close()]);
  }
});

test("our BYE on a TLS call whose answer's Contact names another address goes on the call's connection", async () => {
  // The callee advertises 127.0.0.2 in its Contact but listens on 127.0.0.1 only.
  const callee = await createUa({
    udpPort: false,
    tcpPort: false,
    advertisedAddress: '127.0.0.2',
    tls: { port: 0, server: { cert: ca.cert, key: ca.key } },
  });
  const ua = await createUa({ udpPort: false, tcpPort: false });
  try {
    const incoming = once(callee, 'incoming') as Promise<[IncomingInvite]>;
    const call = ua.invite({
      target: 'sips:100@trunk.test',
      hops: [
        {
          protocol: 'tls',
          address: '127.0.0.1',
          port: callee.localEndpoint('tls')!.port,
          tls: { serverName: 'trunk.test', ca: ca.ca },
        },
      ],
      offer: offer(40214),
    });
    const [theirs] = await incoming;
    theirs.answer(offer(40216));
    await once(call, 'answered');
    await eventWithin(theirs, 'confirmed');
    const calleeEnded = eventWithin(theirs, 'ended');
    assert.equal(call.bye(), true);
    const [by, reason] = await calleeEnded;
    assert.deepEqual([by, reason], ['remote', 'bye'], 'the callee got our BYE');
    assert.equal(ua.stats().transport.tlsConnectionsOpened, 1);
    await assertIdle(ua);
  } finally {
    await Promise.all([ua.close(), callee.close()]);
  }
});

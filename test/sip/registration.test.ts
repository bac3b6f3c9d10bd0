import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { computeDigestResponse, parseDigestChallenge } from '../../src/sip/digestAuth.js';
import type { IncomingInvite } from '../../src/sip/incomingInvite.js';
import { Registration, type RegistrationOptions, refreshDelayMs } from '../../src/sip/registration.js';
import type { SipRequest } from '../../src/sip/sipMessage.js';
import type { SipUserAgent } from '../../src/sip/sipUserAgent.js';
import { ScriptedPeer } from './scriptedPeer.js';
import { assertIdle, createUa, waitFor } from './uaHarness.js';

const CREDENTIALS = { username: 'alice', password: 'secret' };
const REALM = 'reg.test';

let ua: SipUserAgent;
let peer: ScriptedPeer;
let registration: Registration | undefined;

beforeEach(async () => {
  ua = await createUa();
  peer = await ScriptedPeer.create();
});
afterEach(async () => {
  await registration?.stop();
  registration = undefined;
  await ua.close();
  peer.close();
});

interface Seen {
  request: SipRequest;
  at: number;
}

/** Answers every REGISTER with what `answer` says; remembers each with its arrival time. */
function registrar(answer: (r: SipRequest, n: number) => { status: string; headers?: string[] }): Seen[] {
  const seen: Seen[] = [];
  peer.socket.on('message', () => {
    const last = peer.received.at(-1);
    if (last?.message.kind !== 'request' || last.message.method !== 'REGISTER') return;
    const request = last.message;
    seen.push({ request, at: Date.now() });
    const a = answer(request, seen.length);
    peer.respond(request, last.from.port, a.status, { toTag: 'reg', headers: a.headers ?? [] });
  });
  return seen;
}

const challenge = (nonce: string) =>
  `WWW-Authenticate: Digest realm="${REALM}", nonce="${nonce}", qop="auth", algorithm=MD5`;

/** True when the request carries a correct digest for CREDENTIALS (any nonce we issued). */
function authorized(r: SipRequest, password = CREDENTIALS.password): boolean {
  const value = r.headers.get('Authorization');
  if (!value) return false;
  const p = Object.fromEntries(
    [...value.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1], m[2] ?? m[3]]),
  );
  const expected = computeDigestResponse({
    challenge: parseDigestChallenge(`Digest realm="${p.realm}", nonce="${p.nonce}", qop="auth"`)!,
    credentials: { username: p.username!, password },
    method: 'REGISTER',
    uri: p.uri!,
    nc: Number.parseInt(p.nc!, 16),
    cnonce: p.cnonce!,
    qop: p.qop,
  });
  return p.response === expected;
}

function register(options: Partial<RegistrationOptions> = {}): Registration {
  registration = new Registration(ua, {
    registrar: `sip:127.0.0.1:${peer.port}`,
    aor: `sip:alice@127.0.0.1:${peer.port}`,
    contactUser: 'trunk-carrier',
    label: 'carrier',
    credentials: CREDENTIALS,
    retryDelaysMs: [150, 300],
    ...options,
  });
  registration.start();
  return registration;
}

const contactOk = (r: SipRequest, expires: number) => [
  `Contact: ${r.headers.get('Contact')};expires=${expires}`,
];

test('registers with digest and refreshes half-way through a short lifetime, reusing the challenge', async () => {
  const seen = registrar((r) =>
    authorized(r)
      ? { status: '200 OK', headers: contactOk(r, 2) }
      : { status: '401 Unauthorized', headers: [challenge('n1')] },
  );
  const reg = register({ expiresS: 2 });
  await waitFor('registered', () => reg.status.state === 'registered');
  assert.equal(reg.status.expiresS, 2);
  assert.equal(seen.length, 2, 'one 401, then the authorised REGISTER');
  assert.equal(seen[1]!.request.headers.get('Expires'), '2');
  assert.match(seen[1]!.request.headers.get('Contact')!, /^<sip:trunk-carrier@127\.0\.0\.1:\d+>$/);
  await waitFor('the refresh', () => seen.length === 3, 3000);
  const refresh = seen[2]!;
  const gap = refresh.at - seen[1]!.at;
  assert.ok(gap >= 900 && gap < 2000, `refreshed ${gap} ms after a 2 s binding was granted`);
  assert.ok(authorized(refresh.request), 'the refresh answers the known challenge at once');
  assert.match(refresh.request.headers.get('Authorization')!, /nc=00000002/);
  assert.equal(refresh.request.callId, seen[0]!.request.callId, 'one Call-ID per binding (§10.2.4)');
  assert.equal(refresh.request.cseq.seq, seen[1]!.request.cseq.seq + 1);
  assert.equal(reg.status.state, 'registered');
});

test('a 423 raises the lifetime asked for to Min-Expires', async () => {
  const seen = registrar((r) =>
    !authorized(r)
      ? { status: '401 Unauthorized', headers: [challenge('n2')] }
      : Number(r.headers.get('Expires')) < 120
        ? { status: '423 Interval Too Brief', headers: ['Min-Expires: 120'] }
        : { status: '200 OK', headers: contactOk(r, 120) },
  );
  const reg = register({ expiresS: 30 });
  await waitFor('registered', () => reg.status.state === 'registered');
  assert.deepEqual(
    seen.map((s) => s.request.headers.get('Expires')),
    ['30', '30', '120'],
  );
  assert.equal(reg.status.expiresS, 120);
  const left = reg.status.nextAttemptAt! - ua.timers.clock.now();
  assert.ok(left > 55_000 && left <= refreshDelayMs(120), `next refresh in ${left} ms`);
});

test('a refused password leaves the registration failing with the last error; attempts back off', async () => {
  let nonce = 0;
  const seen = registrar(() => ({ status: '401 Unauthorized', headers: [challenge(`bad${++nonce}`)] }));
  const reg = register();
  await waitFor(
    'three attempts',
    () => seen.filter((s) => !s.request.headers.has('Authorization')).length >= 3,
    3000,
  );
  assert.equal(reg.status.state, 'failing');
  assert.equal(reg.status.lastError, '401 Unauthorized');
  assert.ok(reg.status.failures >= 2);
  const starts = seen.filter((s) => !s.request.headers.has('Authorization')).map((s) => s.at);
  assert.equal(seen.length >= 5, true, 'each attempt answers one challenge, then gives up');
  assert.ok(starts[1]! - starts[0]! >= 140, `first retry after ${starts[1]! - starts[0]!} ms`);
  assert.ok(starts[2]! - starts[1]! >= 290, `second retry after ${starts[2]! - starts[1]!} ms`);
});

test('stop removes the binding with Expires: 0, answering a new challenge, and leaves nothing running', async () => {
  // The registrar wants a new nonce for the removal: the challenge of the registration is not enough.
  const seen = registrar((r) => {
    const removal = r.headers.get('Expires') === '0';
    const nonce = removal ? 'n3-removal' : 'n3';
    const ok = authorized(r) && r.headers.get('Authorization')!.includes(`nonce="${nonce}"`);
    return ok
      ? { status: '200 OK', headers: contactOk(r, 3600) }
      : { status: '401 Unauthorized', headers: [challenge(nonce)] };
  });
  const reg = register();
  await waitFor('registered', () => reg.status.state === 'registered');
  const states: string[] = [];
  reg.on('status', (s) => states.push(s.state));
  await reg.stop();
  const last = seen.at(-1)!.request;
  assert.deepEqual(
    seen.map((x) => x.request.headers.get('Expires')),
    ['3600', '3600', '0', '0'],
  );
  assert.match(last.headers.get('Authorization')!, /nonce="n3-removal"/);
  assert.match(last.headers.get('Contact')!, /trunk-carrier@/);
  assert.ok(authorized(last));
  assert.deepEqual(states, ['unregistered']);
  assert.equal(reg.status.nextAttemptAt, undefined);
  await assertIdle(ua);
});

test('an INVITE sent to the registered contact arrives marked with the registration', async () => {
  registrar((r) =>
    authorized(r)
      ? { status: '200 OK', headers: contactOk(r, 3600) }
      : { status: '401 Unauthorized', headers: [challenge('n4')] },
  );
  const reg = register();
  await waitFor('registered', () => reg.status.state === 'registered');
  const calls: IncomingInvite[] = [];
  ua.on('incoming', (call) => {
    calls.push(call);
    call.reject(486);
  });
  const port = ua.localEndpoint('udp')!.port;
  for (const user of ['trunk-carrier', 'someone-else']) {
    peer.send(
      [
        `INVITE sip:${user}@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-${user}`,
        'Max-Forwards: 70',
        `From: <sip:caller@127.0.0.1:${peer.port}>;tag=c1`,
        `To: <sip:${user}@127.0.0.1>`,
        `Call-ID: inbound-${user}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:caller@127.0.0.1:${peer.port}>`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      port,
    );
    await waitFor('the INVITE', () => calls.some((c) => c.callId === `inbound-${user}`));
  }
  assert.deepEqual(
    calls.map((c) => c.registration),
    ['carrier', undefined],
  );
  await reg.stop();
  assert.equal(reg.status.state, 'unregistered');
});

test('a located registrar is kept while it answers (digest retry and refresh); a 503 moves the binding and the trust to the next', async () => {
  // Two servers of one cluster, each accepting only the nonces it issued. The locator returns
  // them in a new order on every call, as an equal-weight SRV draw does.
  const other = await ScriptedPeer.create('127.0.0.2');
  try {
    const servers = [
      { peer, address: '127.0.0.1', seen: [] as SipRequest[], down: false },
      { peer: other, address: '127.0.0.2', seen: [] as SipRequest[], down: false },
    ];
    for (const s of servers) {
      s.peer.socket.on('message', () => {
        const last = s.peer.received.at(-1);
        if (last?.message.kind !== 'request' || last.message.method !== 'REGISTER') return;
        const r = last.message;
        s.seen.push(r);
        const nonce = `nonce-${s.address}`;
        const a = s.down
          ? { status: '503 Service Unavailable', headers: [] }
          : authorized(r) && r.headers.get('Authorization')!.includes(`nonce="${nonce}"`)
            ? { status: '200 OK', headers: contactOk(r, 2) }
            : { status: '401 Unauthorized', headers: [challenge(nonce)] };
        s.peer.respond(r, last.from.port, a.status, { toTag: 'reg', headers: a.headers });
      });
    }
    let located = 0;
    const reg = register({
      registrar: 'sip:registrar.test',
      aor: 'sip:alice@registrar.test',
      expiresS: 2,
      locate: async () => {
        const hops = servers.map((s) => ({
          protocol: 'udp' as const,
          address: s.address,
          port: s.peer.port,
        }));
        return located++ % 2 === 0 ? hops : hops.reverse();
      },
    });
    await waitFor('registered', () => reg.status.state === 'registered');
    await waitFor('the refresh', () => servers[0]!.seen.length === 3, 3000);
    await waitFor('registered again', () => reg.status.state === 'registered');
    assert.equal(servers[1]!.seen.length, 0, 'the digest retry and the refresh went to the same server');
    assert.equal(located, 1, 'located once for the binding');
    assert.equal(reg.boundAt('127.0.0.1'), true);
    assert.equal(
      reg.boundAt('::ffff:127.0.0.1'),
      true,
      'an IPv4-mapped source (a :: bind) is the same server',
    );
    assert.equal(reg.boundAt('127.0.0.2'), false);

    servers[0]!.down = true;
    await waitFor('moved to the second server', () => servers[1]!.seen.length >= 2, 3000);
    await waitFor('registered there', () => reg.status.state === 'registered' && reg.boundAt('127.0.0.2'));
    assert.equal(reg.boundAt('127.0.0.1'), false, 'the server that lost the binding is no longer trusted');
    assert.equal(servers[0]!.seen.at(-1)!.headers.get('Expires'), '2');
    await reg.stop();
    assert.equal(
      servers[1]!.seen.at(-1)!.headers.get('Expires'),
      '0',
      'the removal goes to the server holding it',
    );
  } finally {
    other.close();
  }
});

test('over TCP the registration keeps its connection past the idle time and registers again when it drops', async () => {
  // A registrar on TCP that answers every REGISTER 200 and can talk to us on the connection.
  const { createServer } = await import('node:net');
  const sockets: import('node:net').Socket[] = [];
  const registers: Array<{ socket: number; expires: string | undefined }> = [];
  const options200: string[] = [];
  const server = createServer((socket) => {
    const index = sockets.push(socket) - 1;
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString();
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        const lines = head.split('\r\n');
        const header = (name: string) =>
          lines.find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.replace(/^[^:]+:\s*/, '');
        if (lines[0]?.startsWith('SIP/2.0 200') && header('CSeq')?.endsWith('OPTIONS'))
          options200.push(lines[0]);
        if (!lines[0]?.startsWith('REGISTER ')) continue;
        registers.push({ socket: index, expires: header('Expires') });
        const echo = ['Via', 'From', 'Call-ID', 'CSeq'].map((n) => `${n}: ${header(n)}`);
        socket.write(
          [
            'SIP/2.0 200 OK',
            ...echo,
            `To: ${header('To')};tag=reg`,
            `Contact: ${header('Contact')};expires=3600`,
            'Content-Length: 0',
            '',
            '',
          ].join('\r\n'),
        );
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  const idleMs = 150;
  const tcpUa = await createUa({ limits: { tcpIdleMs: idleMs } });
  const reg = new Registration(tcpUa, {
    registrar: `sip:127.0.0.1:${port};transport=tcp`,
    aor: `sip:alice@127.0.0.1:${port}`,
    contactUser: 'trunk-tcp',
    label: 'tcp',
    retryDelaysMs: [100],
  });
  try {
    reg.start();
    await waitFor('registered', () => reg.status.state === 'registered');
    // Well past the idle time, the registrar can still reach our binding on the connection.
    await new Promise((r) => setTimeout(r, idleMs * 4));
    assert.equal(sockets[0]!.destroyed, false, 'the registered connection is still open');
    sockets[0]!.write(
      [
        `OPTIONS sip:trunk-tcp@127.0.0.1 SIP/2.0`,
        `Via: SIP/2.0/TCP 127.0.0.1:${port};branch=z9hG4bK-keep1`,
        'Max-Forwards: 70',
        `From: <sip:registrar@127.0.0.1:${port}>;tag=r1`,
        'To: <sip:trunk-tcp@127.0.0.1>',
        'Call-ID: keep-1',
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    await waitFor('the answer to OPTIONS on the flow', () => options200.length === 1);
    // The registrar drops the connection: we register again at once, on a new one.
    sockets[0]!.destroy();
    await waitFor('a REGISTER on a new connection', () => registers.some((r) => r.socket === 1));
    assert.equal(reg.status.state, 'registered');
    await reg.stop();
    assert.equal(registers.at(-1)?.expires, '0');
    // Released: the connection now closes when idle.
    await waitFor(
      'the idle close after stop',
      () => sockets[1]!.destroyed || sockets[1]!.readableEnded,
      2000,
    );
  } finally {
    await reg.stop();
    await tcpUa.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
});

/**
 * `smartcall admin trunk add --register --username --password --expires` through the real CLI: the
 * server registers at the trunk (a scripted registrar on 127.0.0.1 checking the digest and the
 * Expires asked for), `trunk list --json` — another process — shows the state the server saved
 * (registered with its next refresh; failing with the last error for a wrong password), and the
 * server's shutdown removes the binding (Expires: 0).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RegistrationView } from '../../src/calls/trunkAdmin.js';
import { computeDigestResponse, parseDigestChallenge } from '../../src/sip/digestAuth.js';
import type { SipRequest } from '../../src/sip/sipMessage.js';
import { tempDir } from '../helpers/tempDir.js';
import { ScriptedPeer } from '../sip/scriptedPeer.js';
import { waitFor } from '../sip/uaHarness.js';
import { smartcall as run, start, stopAll } from './cliHarness.js';

const dir = tempDir('smartcall-register-');
const config = join(dir.path, 'smartcall.yaml');
writeFileSync(config, 'phonenet: { sipPort: 0 }\n');
let peer: ScriptedPeer | undefined;
after(async () => {
  await stopAll();
  peer?.close();
  dir.remove();
});
const smartcall = (...args: string[]) => run(['--data-dir', dir.path, ...args], { cwd: dir.path });

const PASSWORD = 'right-pw';

function authorized(r: SipRequest): boolean {
  const value = r.headers.get('Authorization');
  if (!value) return false;
  const p = Object.fromEntries(
    [...value.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1], m[2] ?? m[3]]),
  );
  return (
    p.response ===
    computeDigestResponse({
      challenge: parseDigestChallenge(`Digest realm="${p.realm}", nonce="${p.nonce}", qop="auth"`)!,
      credentials: { username: p.username!, password: PASSWORD },
      method: 'REGISTER',
      uri: p.uri!,
      nc: Number.parseInt(p.nc!, 16),
      cnonce: p.cnonce!,
      qop: p.qop,
    })
  );
}

/** A registrar that challenges, grants what is asked for to the right password, and logs REGISTERs. */
async function scriptedRegistrar(): Promise<{ peer: ScriptedPeer; registers: SipRequest[] }> {
  const p = await ScriptedPeer.create();
  const registers: SipRequest[] = [];
  let nonce = 0;
  p.socket.on('message', () => {
    const last = p.received.at(-1);
    if (last?.message.kind !== 'request' || last.message.method !== 'REGISTER') return;
    const r = last.message;
    registers.push(r);
    if (authorized(r)) {
      const contact = `Contact: ${r.headers.get('Contact')};expires=${r.headers.get('Expires')}`;
      p.respond(r, last.from.port, '200 OK', { toTag: 'r', headers: [contact] });
    } else {
      const challenge = `WWW-Authenticate: Digest realm="reg.test", nonce="n${++nonce}", qop="auth"`;
      p.respond(r, last.from.port, '401 Unauthorized', { toTag: 'r', headers: [challenge] });
    }
  });
  return { peer: p, registers };
}

const registration = (name: string): RegistrationView | undefined => {
  const list = smartcall('admin', 'trunk', 'list', '--json').json() as Array<{
    name: string;
    registration?: RegistrationView;
  }>;
  return list.find((t) => t.name === name)?.registration;
};

test('--register: the server registers, trunk list --json shows the state, shutdown unregisters', async () => {
  const registrar = await scriptedRegistrar();
  peer = registrar.peer;
  const add = (name: string, password: string, expires: string) =>
    smartcall(
      'admin',
      'trunk',
      'add',
      '--name',
      name,
      '--uri',
      `sip:127.0.0.1:${registrar.peer.port}`,
      '--username',
      `user-${name}`,
      '--password',
      password,
      '--register',
      '--expires',
      expires,
      '--json',
    );
  const added = add('carrier', PASSWORD, '240');
  assert.equal(added.status, 0, added.stderr);
  assert.deepEqual((added.json() as { registration: RegistrationView }).registration, {
    state: 'never',
    registered: false,
    expires: 240,
    lastError: null,
    nextRefresh: null,
    contactUser: null,
    updatedAt: null,
  });
  assert.equal(add('backup', 'wrong-pw', '300').status, 0);

  const server = await start(
    ['serve', '--config', config, '--data-dir', dir.path, '--http-port', '0', '--sip-port', '0'],
    (out) => out.includes('"smartcall started"'),
    { cwd: dir.path },
  );
  await waitFor('carrier registered', () => registration('carrier')?.state === 'registered', 15_000);
  const registered = registration('carrier')!;
  assert.equal(registered.registered, true);
  assert.equal(registered.expires, 240, 'the registrar granted the --expires asked for');
  assert.equal(registered.lastError, null);
  assert.equal(registered.contactUser, 'trunk-carrier');
  const refreshIn = Date.parse(registered.nextRefresh!) - Date.now();
  assert.ok(refreshIn > 180_000 && refreshIn <= 210_000, `next refresh in ${refreshIn} ms (240 s - 30 s)`);
  const carrierRegisters = () =>
    registrar.registers.filter((r) => r.from.uri.toString().includes('user-carrier'));
  assert.ok(carrierRegisters().every((r) => r.headers.get('Expires') === '240'));

  // One snapshot: on a slow machine the next attempt (5 s later) may already run when we read again.
  let failing: RegistrationView | undefined;
  await waitFor(
    'backup failing',
    () => {
      failing = registration('backup');
      return failing?.state === 'failing';
    },
    15_000,
  );
  assert.equal(failing!.registered, false);
  assert.equal(failing!.lastError, '401 Unauthorized');
  assert.ok(Date.parse(failing!.nextRefresh!) > Date.parse(failing!.updatedAt!), 'a retry is planned');

  const table = smartcall('admin', 'trunk', 'list');
  assert.match(table.stdout, /^name\s+uri\s+cps\s+maxCalls\s+isDefault\s+registration\n/);
  assert.match(table.stdout, /\ncarrier\s.*\sregistered\n/);

  assert.equal(await server.stop(), 0);
  // The datagram may be read after the exit is seen.
  await waitFor('the removal', () => carrierRegisters().at(-1)?.headers.get('Expires') === '0', 2000);
  const last = carrierRegisters().at(-1)!;
  assert.equal(last.headers.get('Expires'), '0', 'shutdown removes the binding');
  assert.ok(authorized(last));
  assert.equal(registration('carrier')?.state, 'unregistered');
  assert.equal(registration('carrier')?.nextRefresh, null);
});

test('--register needs credentials; --expires needs --register', () => {
  const r = smartcall('admin', 'trunk', 'add', '--name', 'x', '--uri', 'sip:127.0.0.1:5090', '--register');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--register needs --username and --password/);
  const e = smartcall(
    'admin',
    'trunk',
    'add',
    '--name',
    'x',
    '--uri',
    'sip:127.0.0.1:5090',
    '--expires',
    '60',
  );
  assert.notEqual(e.status, 0);
  assert.match(e.stderr, /--expires applies to --register/);
});

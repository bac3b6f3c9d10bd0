/** `smartcall admin trunk ...`: every option of `trunk add` lands on the trunk, and the verbs act on --name. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { tempDir } from '../helpers/tempDir.js';
import { smartcall as run } from './cliHarness.js';

const dir = tempDir('smartcall-trunk-');
after(() => dir.remove());
const smartcall = (...args: string[]) => run(['--data-dir', dir.path, ...args], { cwd: dir.path });

test('trunk add stores every option it is given; trunk show --name prints it', () => {
  const added = smartcall(
    'admin',
    'trunk',
    'add',
    '--name',
    'carrier',
    '--uri',
    'sip:127.0.0.1:5065',
    '--transport',
    'tcp',
    '--username',
    'u1',
    '--password',
    'secret-pw',
    '--realm',
    'carrier.example',
    '--caller-format',
    'e164',
    '--callee-format',
    'e164-no-plus',
    '--pai',
    '--cps',
    '3',
    '--max-calls',
    '4',
    '--options-interval',
    '30',
    '--codecs',
    'pcma',
    '--default',
    '--json',
  );
  assert.equal(added.status, 0, added.stderr);
  const shown = smartcall('admin', 'trunk', 'show', '--name', 'carrier', '--json');
  assert.deepEqual(shown.json(), added.json());
  const t = shown.json();
  assert.equal(t.host, '127.0.0.1');
  assert.equal(t.port, 5065);
  assert.equal(t.transport, 'tcp');
  assert.equal(t.uri, 'sip:127.0.0.1:5065;transport=tcp');
  assert.equal(t.username, 'u1');
  assert.equal(t.hasPassword, true);
  assert.equal(t.realm, 'carrier.example');
  assert.equal(t.callerFormat, 'e164');
  assert.equal(t.calleeFormat, 'e164-no-plus');
  assert.equal(t.sendPai, true);
  assert.equal(t.cps, 3);
  assert.equal(t.maxCalls, 4);
  assert.equal(t.optionsIntervalS, 30);
  assert.deepEqual(t.codecs, ['PCMA']);
  assert.equal(t.isDefault, true);
  assert.ok(!shown.stdout.includes('secret-pw'));

  const plain = smartcall(
    'admin',
    'trunk',
    'add',
    '--name',
    'backup',
    '--uri',
    'sip:127.0.0.1:5066',
    '--json',
  ).json();
  assert.equal(plain.transport, 'udp');
  assert.equal(plain.username, null);
  assert.equal(plain.hasPassword, false);
  assert.equal(plain.realm, null);
  assert.equal(plain.sendPai, false);
  assert.equal(plain.isDefault, false);
  assert.notEqual(plain.callerFormat, 'e164');
  assert.notEqual(plain.optionsIntervalS, 30);
  assert.deepEqual(plain.codecs, ['PCMU', 'PCMA']);
});

test('trunk set-default and remove act on the --name given', () => {
  const def = smartcall('admin', 'trunk', 'set-default', '--name', 'backup', '--json');
  assert.equal(def.status, 0, def.stderr);
  assert.equal(def.json().name, 'backup');
  const defaults = () =>
    Object.fromEntries(
      (smartcall('admin', 'trunk', 'list', '--json').json() as { name: string; isDefault: boolean }[]).map(
        (t) => [t.name, t.isDefault],
      ),
    );
  assert.deepEqual(defaults(), { backup: true, carrier: false });
  assert.deepEqual(smartcall('admin', 'trunk', 'remove', '--name', 'carrier', '--json').json(), {
    name: 'carrier',
    result: 'removed',
  });
  assert.deepEqual(defaults(), { backup: true });
  assert.match(smartcall('admin', 'trunk', 'list').stdout, /^name\s+uri\s+cps\s+maxCalls\s+isDefault\n/);
});

test('trunk add --uri with a host name stores the name as given; sips: is refused until TLS exists', () => {
  const added = smartcall(
    'admin',
    'trunk',
    'add',
    '--name',
    'named',
    '--uri',
    'sip:Trunk.Example.com',
    '--json',
  );
  assert.equal(added.status, 0, added.stderr);
  const shown = smartcall('admin', 'trunk', 'show', '--name', 'named', '--json').json();
  assert.equal(shown.host, 'trunk.example.com');
  assert.equal(shown.uri, 'sip:trunk.example.com', 'no port or transport is made up: DNS decides them');
  const ported = smartcall(
    'admin',
    'trunk',
    'add',
    '--name',
    'ported',
    '--uri',
    'sip:trunk.example.com:5070;transport=tcp',
    '--json',
  );
  assert.equal(ported.json().uri, 'sip:trunk.example.com:5070;transport=tcp');
  assert.match(smartcall('admin', 'trunk', 'list').stdout, /named\s+sip:trunk\.example\.com\s/);
  const tls = smartcall(
    'admin',
    'trunk',
    'add',
    '--name',
    'secure',
    '--uri',
    'sips:trunk.example.com',
    '--json',
  );
  assert.equal(tls.status, 0, tls.stderr);
  assert.deepEqual([tls.json().uri, tls.json().transport], ['sips:trunk.example.com', 'tls']);
});

/** The `smartcall` command as an operator scripts it: every admin command with --json. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { tempDir } from '../helpers/tempDir.js';

const dir = tempDir();
after(() => dir.remove());

function smartcall(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/smartcall.js', '--data-dir', dir.path, ...args], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

test('an operator sets up an account end to end with --json output', () => {
  const account = smartcall('admin', 'account', 'create', '--name', 'acme', '--json');
  assert.equal(account.status, 0, account.stderr);
  assert.equal(account.json().name, 'acme');

  const key = smartcall('admin', 'key', 'create', '--account', 'acme', '--json').json();
  assert.match(key.accessKeyId, /^LTAI/);
  assert.equal(typeof key.accessKeySecret, 'string');

  assert.equal(
    smartcall('admin', 'number', 'add', '--account', 'acme', '--number', '057188880000', '--json').status,
    0,
  );
  assert.equal(
    smartcall('admin', 'callback', 'set', '--account', 'acme', '--url', 'http://127.0.0.1:9000/cb', '--json')
      .status,
    0,
  );
  const receipts = smartcall(
    'admin',
    'receipts',
    'set',
    '--account',
    'acme',
    '--url',
    'http://127.0.0.1:9000/receipts',
    '--types',
    'VoiceCallReport,VoiceReport,VoiceRecordReport',
    '--json',
  );
  assert.equal(receipts.status, 0, receipts.stderr);

  const shown = smartcall('admin', 'account', 'show', '--name', 'acme', '--json').json();
  assert.equal(shown.callback.url, 'http://127.0.0.1:9000/cb');
  assert.deepEqual(shown.receipts.types, ['VoiceCallReport', 'VoiceReport', 'VoiceRecordReport']);
  const keys = smartcall('admin', 'key', 'list', '--account', 'acme', '--json');
  assert.equal(keys.json()[0].accessKeyId, key.accessKeyId);
  assert.ok(!keys.stdout.includes(key.accessKeySecret), 'the secret is printed only once');
  assert.deepEqual(
    smartcall('admin', 'number', 'list', '--account', 'acme', '--json')
      .json()
      .map((n: { number: string }) => n.number),
    ['057188880000'],
  );
});

test('a mistake exits 1 with a JSON error naming the cause', () => {
  const r = smartcall('admin', 'number', 'add', '--account', 'nobody', '--number', '057188880000', '--json');
  assert.equal(r.status, 1);
  assert.match(JSON.parse(r.stderr).error, /no account named "nobody"/);
  const bad = smartcall('admin', 'receipts', 'set', '--account', 'acme', '--types', 'Nope', '--json');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown receipt type/);
});

test('a missing required option is reported by the command line', () => {
  const r = smartcall('admin', 'key', 'create');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--account/);
});

test('a trunk is added as the issue shows, and listed without its password', () => {
  const r = smartcall(
    'admin',
    'trunk',
    'add',
    '--name',
    'carrier',
    '--uri',
    'sip:127.0.0.1:5065',
    '--transport',
    'udp',
    '--username',
    'u',
    '--password',
    'secret-pw',
    '--cps',
    '10',
    '--max-calls',
    '100',
    '--default',
    '--json',
  );
  assert.equal(r.status, 0, r.stderr);
  const t = r.json();
  assert.equal(t.isDefault, true);
  assert.equal(t.cps, 10);
  assert.equal(t.maxCalls, 100);
  assert.equal(t.hasPassword, true);
  const list = smartcall('admin', 'trunk', 'list', '--json');
  assert.equal(list.json()[0].name, 'carrier');
  assert.ok(!list.stdout.includes('secret-pw'));
});

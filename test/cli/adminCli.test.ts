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

test('account create --qps and set-qps --qps set the limit; disable and enable the --name given', () => {
  const created = smartcall('admin', 'account', 'create', '--name', 'beta', '--qps', '7', '--json').json();
  assert.equal(created.qps, 7);
  assert.equal(
    smartcall('admin', 'account', 'set-qps', '--name', 'beta', '--qps', '9', '--json').json().qps,
    9,
  );
  assert.equal(
    smartcall('admin', 'account', 'set-qps', '--name', 'beta', '--json').json().qps,
    null,
    'without --qps the configured default applies',
  );
  assert.equal(
    smartcall('admin', 'account', 'disable', '--name', 'beta', '--json').json().status,
    'disabled',
  );
  assert.equal(smartcall('admin', 'account', 'show', '--name', 'acme', '--json').json().status, 'active');
  assert.equal(smartcall('admin', 'account', 'show', '--name', 'beta', '--json').json().status, 'disabled');
  assert.equal(smartcall('admin', 'account', 'enable', '--name', 'beta', '--json').json().status, 'active');
  const list = smartcall('admin', 'account', 'list', '--json').json() as { name: string }[];
  assert.deepEqual(
    list.map((a) => a.name),
    ['acme', 'beta'],
  );
  const human = smartcall('admin', 'account', 'list');
  assert.match(human.stdout, /^id\s+name\s+status\s+qps\n/, 'without --json: a table');
  assert.throws(() => JSON.parse(human.stdout));
});

test('key disable, enable and delete act on the key --id names', () => {
  const a = smartcall('admin', 'key', 'create', '--account', 'beta', '--json').json().accessKeyId;
  const b = smartcall('admin', 'key', 'create', '--account', 'beta', '--json').json().accessKeyId;
  const status = () =>
    Object.fromEntries(
      (
        smartcall('admin', 'key', 'list', '--account', 'beta', '--json').json() as {
          accessKeyId: string;
          status: string;
        }[]
      ).map((k) => [k.accessKeyId, k.status]),
    );
  assert.deepEqual(smartcall('admin', 'key', 'disable', '--id', a, '--json').json(), {
    accessKeyId: a,
    result: 'disabled',
  });
  assert.deepEqual(status(), { [a]: 'disabled', [b]: 'active' });
  smartcall('admin', 'key', 'enable', '--id', a);
  assert.deepEqual(status(), { [a]: 'active', [b]: 'active' });
  smartcall('admin', 'key', 'delete', '--id', b);
  assert.deepEqual(status(), { [a]: 'active' });
});

test('number remove takes the --number off the --account', () => {
  smartcall('admin', 'number', 'add', '--account', 'beta', '--number', '057100000001');
  smartcall('admin', 'number', 'add', '--account', 'beta', '--number', '057100000002');
  const r = smartcall('admin', 'number', 'remove', '--account', 'beta', '--number', '057100000001', '--json');
  assert.deepEqual(r.json(), { account: 'beta', number: '057100000001', result: 'removed' });
  assert.deepEqual(
    smartcall('admin', 'number', 'list', '--account', 'beta', '--json')
      .json()
      .map((n: { number: string }) => n.number),
    ['057100000002'],
  );
  assert.deepEqual(smartcall('admin', 'number', 'list', '--account', 'acme', '--json').json().length, 1);
});

test('callback set applies every flag, callback show prints them, and empty values remove them', () => {
  const set = smartcall(
    'admin',
    'callback',
    'set',
    '--account',
    'beta',
    '--url',
    'http://127.0.0.1:9000/beta',
    '--timeout-ms',
    '1500',
    '--fallback',
    '{"action":"hangup"}',
    '--body-mode',
    'form',
    '--signing-secret',
    'sign-me-please-0123',
    '--json',
  );
  assert.equal(set.status, 0, set.stderr);
  const expected = {
    url: 'http://127.0.0.1:9000/beta',
    timeoutMs: 1500,
    fallbackReply: '{"action":"hangup"}',
    bodyMode: 'form',
    signed: true,
    unrecognized: 'callback',
  };
  assert.deepEqual(set.json().callback, expected);
  const shown = smartcall('admin', 'callback', 'show', '--account', 'beta', '--json');
  assert.deepEqual(shown.json(), expected);
  assert.ok(!shown.stdout.includes('sign-me-please-0123'), 'the signing secret is never shown');
  assert.equal(smartcall('admin', 'callback', 'show', '--account', 'acme', '--json').json().signed, false);

  const cleared = smartcall(
    'admin',
    'callback',
    'set',
    '--account',
    'beta',
    '--url',
    '',
    '--fallback',
    '',
    '--signing-secret',
    '',
    '--body-mode',
    'query',
    '--json',
  ).json().callback;
  assert.deepEqual(cleared, {
    url: null,
    timeoutMs: 1500,
    fallbackReply: null,
    bodyMode: 'query',
    signed: false,
    unrecognized: 'callback',
  });
});

test('callback set --unrecognized silent|callback says what a rejected utterance produces; show tells it', () => {
  assert.equal(smartcall('admin', 'account', 'create', '--name', 'gamma', '--json').status, 0);
  const show = () =>
    smartcall('admin', 'callback', 'show', '--account', 'gamma', '--json').json().unrecognized;
  assert.equal(show(), 'callback', 'by default a rejected utterance is a normal callback with empty words');
  const set = smartcall(
    'admin',
    'callback',
    'set',
    '--account',
    'gamma',
    '--unrecognized',
    'silent',
    '--json',
  );
  assert.equal(set.status, 0, set.stderr);
  assert.equal(set.json().callback.unrecognized, 'silent');
  assert.equal(show(), 'silent');
  const url = smartcall('admin', 'callback', 'set', '--account', 'gamma', '--url', 'http://127.0.0.1:9000/g');
  assert.equal(url.status, 0, url.stderr);
  assert.equal(show(), 'silent', 'other changes keep it');
  const bad = smartcall('admin', 'callback', 'set', '--account', 'gamma', '--unrecognized', 'drop');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /unrecognized must be callback or silent/);
  assert.equal(show(), 'silent', 'a refused value changes nothing');
  smartcall('admin', 'callback', 'set', '--account', 'gamma', '--unrecognized', 'callback');
  assert.equal(show(), 'callback');
});

test('receipts show prints what receipts set --url --types stored for that --account', () => {
  smartcall(
    'admin',
    'receipts',
    'set',
    '--account',
    'beta',
    '--url',
    'http://127.0.0.1:9000/r',
    '--types',
    'VoiceReport',
  );
  assert.deepEqual(smartcall('admin', 'receipts', 'show', '--account', 'beta', '--json').json(), {
    url: 'http://127.0.0.1:9000/r',
    types: ['VoiceReport'],
    typeUrls: {},
    routes: { VoiceCallReport: null, VoiceReport: 'http://127.0.0.1:9000/r', VoiceRecordReport: null },
  });
  smartcall('admin', 'receipts', 'set', '--account', 'beta', '--url', '');
  assert.equal(smartcall('admin', 'receipts', 'show', '--account', 'beta', '--json').json().url, null);
  assert.equal(smartcall('admin', 'receipts', 'show', '--account', 'acme', '--json').json().types.length, 3);
});

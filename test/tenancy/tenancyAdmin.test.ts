import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { CredentialResolver } from '../../src/tenancy/credentials.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { TenancyAdmin } from '../../src/tenancy/tenancyAdmin.js';
import { tempDir } from '../helpers/tempDir.js';

function setup() {
  const store = SqliteStore.inMemory();
  const box = SecretBox.fromMasterKey('test master key, long enough');
  return { store, box, admin: new TenancyAdmin(store, box) };
}

test('an access key secret is stored sealed and resolves back to the account', () => {
  const { store, box, admin } = setup();
  admin.createAccount({ name: 'acme' });
  const key = admin.createKey('acme');
  assert.match(key.accessKeyId, /^LTAI[A-Za-z0-9]{20}$/);
  assert.equal(key.accessKeySecret.length, 30);
  const stored = store.accessKeys.find(key.accessKeyId)!;
  assert.ok(!stored.secretEnc.includes(key.accessKeySecret), 'the secret is not stored in clear');
  const cred = new CredentialResolver(store, box).resolve(key.accessKeyId)!;
  assert.equal(cred.secret, key.accessKeySecret);
  assert.equal(cred.accountId, admin.account('acme').id);
  assert.equal(
    JSON.stringify(admin.listKeys('acme')).includes(key.accessKeySecret),
    false,
    'listing never shows it',
  );
});

test('a secret sealed with one master key cannot be opened with another', () => {
  const a = SecretBox.fromMasterKey('first master key .........');
  const b = SecretBox.fromMasterKey('second master key ........');
  assert.throws(() => b.open(a.seal('secret')));
  assert.equal(a.open(a.seal('secret')), 'secret');
});

test('without a configured master key a key file is generated once, private to its owner', () => {
  const dir = tempDir();
  try {
    const sealed = SecretBox.fromKeyFile(dir.path).seal('x');
    const file = `${dir.path}/master.key`;
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const before = readFileSync(file, 'utf8');
    assert.equal(SecretBox.fromKeyFile(dir.path).open(sealed), 'x', 'the second start reuses the key');
    assert.equal(readFileSync(file, 'utf8'), before);
  } finally {
    dir.remove();
  }
});

test('display numbers belong to one account', () => {
  const { admin } = setup();
  admin.createAccount({ name: 'a' });
  admin.createAccount({ name: 'b' });
  admin.addNumber('a', '057188880000');
  assert.throws(() => admin.addNumber('b', '057188880000'), /another account/);
  assert.throws(() => admin.addNumber('a', '12ab'), /not valid/);
  assert.doesNotThrow(() => admin.addNumber('a', '057188880000'), 'adding again is harmless');
  admin.removeNumber('a', '057188880000');
  assert.deepEqual(admin.listNumbers('a'), []);
});

test('callback and receipt settings are validated', () => {
  const { admin } = setup();
  admin.createAccount({ name: 'acme' });
  assert.throws(() => admin.setCallback('acme', { url: 'ftp://x' }), /http or https/);
  assert.throws(() => admin.setCallback('acme', { url: 'not a url' }), /not a URL/);
  assert.throws(() => admin.setCallback('acme', { fallbackReply: '{"action":"dance"}' }), /needs an action/);
  assert.throws(() => admin.setCallback('acme', { timeoutMs: 5 }), /timeout/);
  const s = admin.setCallback('acme', {
    url: 'http://127.0.0.1:9000/cb',
    fallbackReply: '{"result":"success","data":{"action":"hangup"}}',
    bodyMode: 'form',
  });
  assert.equal(s.url, 'http://127.0.0.1:9000/cb');
  assert.equal(admin.account('acme').callback.bodyMode, 'form');
  assert.throws(
    () => admin.setReceipts('acme', { types: ['VoiceReport', 'SmsReport'] }),
    /unknown receipt type/,
  );
  const r = admin.setReceipts('acme', {
    url: 'http://127.0.0.1:9000/r',
    types: ['VoiceReport', 'VoiceReport'],
  });
  assert.deepEqual(r.types, ['VoiceReport']);
});

test('account names are checked and unique', () => {
  const { admin } = setup();
  admin.createAccount({ name: 'acme' });
  assert.throws(() => admin.createAccount({ name: 'acme' }), /already exists/);
  assert.throws(() => admin.createAccount({ name: '-bad' }), /not valid/);
  assert.throws(() => admin.account('nobody'), /no account named/);
});

test('a receipt URL per MessageType is kept beside the one-URL setting, and survives it', () => {
  const { admin } = setup();
  admin.createAccount({ name: 'acme' });
  admin.setReceipts('acme', { url: 'http://127.0.0.1:9000/all', types: ['VoiceCallReport'] });
  admin.setReceipts('acme', { type: 'VoiceReport', url: 'http://127.0.0.1:9000/cdr' });
  admin.setReceipts('acme', { type: 'VoiceRecordReport', url: 'http://127.0.0.1:9000/rec' });
  admin.setReceipts('acme', { url: 'http://127.0.0.1:9000/all2' });
  assert.deepEqual(admin.account('acme').receipts, {
    url: 'http://127.0.0.1:9000/all2',
    types: ['VoiceCallReport'],
    typeUrls: { VoiceReport: 'http://127.0.0.1:9000/cdr', VoiceRecordReport: 'http://127.0.0.1:9000/rec' },
  });
  admin.setReceipts('acme', { type: 'VoiceRecordReport', url: null });
  assert.deepEqual(admin.account('acme').receipts.typeUrls, { VoiceReport: 'http://127.0.0.1:9000/cdr' });
  assert.throws(
    () => admin.setReceipts('acme', { type: 'SmsReport', url: 'http://x/' }),
    /unknown receipt type/,
  );
  assert.throws(() => admin.setReceipts('acme', { type: 'VoiceReport', url: 'ftp://x' }), /http or https/);
  assert.throws(() => admin.setReceipts('acme', { type: 'VoiceReport' }), /needs --url/);
});

/**
 * AsyncTenancyAdmin (any AsyncStore) and TenancyAdmin (SQLite) share their checks: the same input is
 * accepted or refused with the same message by both, and what the async one writes reads back
 * through the sync one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { asyncStoreOver } from '../../src/store/storeAsAsync.js';
import { AsyncTenancyAdmin } from '../../src/tenancy/asyncTenancyAdmin.js';
import { CredentialResolver } from '../../src/tenancy/credentials.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { TenancyAdmin, TenancyError } from '../../src/tenancy/tenancyAdmin.js';

function twins() {
  const box = SecretBox.fromMasterKey('test master key, long enough');
  const syncStore = SqliteStore.inMemory();
  const asyncStore = SqliteStore.inMemory();
  return {
    box,
    syncStore,
    asyncStore,
    sync: new TenancyAdmin(syncStore, box),
    async: new AsyncTenancyAdmin(asyncStoreOver(asyncStore), box),
  };
}

/** The message a call throws (a TenancyError), or 'ok'. */
async function outcome(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof TenancyError, String(err));
    return err.message;
  }
}

test('the async admin accepts and refuses exactly what the sync admin does', async () => {
  const { sync, async } = twins();
  for (const admin of [sync, async]) {
    await admin.createAccount({ name: 'acme' });
    await admin.createAccount({ name: 'other' });
    await admin.addNumber('other', '05710000009');
  }
  const cases: [string, (a: TenancyAdmin | AsyncTenancyAdmin) => unknown][] = [
    ['bad account name', (a) => a.createAccount({ name: '-bad' })],
    ['bad qps', (a) => a.createAccount({ name: 'q', qps: 0 })],
    ['duplicate account', (a) => a.createAccount({ name: 'acme' })],
    ['unknown account', (a) => a.createKey('nobody')],
    ['bad number', (a) => a.addNumber('acme', '12ab')],
    ["another account's number", (a) => a.addNumber('acme', '05710000009')],
    ['callback not http', (a) => a.setCallback('acme', { url: 'ftp://x/' })],
    ['callback timeout', (a) => a.setCallback('acme', { timeoutMs: 50 })],
    ['short signing secret', (a) => a.setCallback('acme', { signingSecret: 'short' })],
    ['fallback without action', (a) => a.setCallback('acme', { fallbackReply: '{"x":1}' })],
    ['unknown receipt type', (a) => a.setReceipts('acme', { types: ['Nope'] })],
    ['--type without --url', (a) => a.setReceipts('acme', { type: 'VoiceReport' })],
    ['good callback', (a) => a.setCallback('acme', { url: 'http://127.0.0.1:9/cb', timeoutMs: 500 })],
    ['good receipts', (a) => a.setReceipts('acme', { type: 'VoiceReport', url: 'http://127.0.0.1:9/r' })],
  ];
  for (const [what, run] of cases) {
    const expected = await outcome(() => run(sync));
    assert.equal(await outcome(() => run(async)), expected, what);
    if (!what.startsWith('good')) assert.notEqual(expected, 'ok', `${what} is refused`);
  }
});

test('what the async admin writes, the sync one and the gateway read back', async () => {
  const { box, asyncStore, async } = twins();
  await async.createAccount({ name: 'acme', qps: 7 });
  const key = await async.createKey('acme');
  assert.equal((await async.addNumber('acme', '05710000001')).inbound, false);
  assert.equal((await async.addNumber('acme', '05710000001', { inbound: true })).inbound, true);
  await async.setCallback('acme', { url: 'http://127.0.0.1:9/cb', signingSecret: 'a-signing-secret-0123' });
  await async.setReceipts('acme', { url: 'http://127.0.0.1:9/r', types: ['VoiceReport'] });

  const sync = new TenancyAdmin(asyncStore, box);
  const account = sync.account('acme');
  assert.equal(account.qps, 7);
  assert.equal(sync.callbackSecret(account), 'a-signing-secret-0123');
  assert.deepEqual(account.receipts.types, ['VoiceReport']);
  assert.deepEqual(
    sync.listNumbers('acme').map((n) => [n.number, n.inbound]),
    [['05710000001', true]],
  );
  assert.equal(new CredentialResolver(asyncStore, box).resolve(key.accessKeyId)?.secret, key.accessKeySecret);
  assert.deepEqual(
    (await async.listKeys('acme')).map((k) => [k.accessKeyId, 'secretEnc' in k]),
    [[key.accessKeyId, false]],
  );
});

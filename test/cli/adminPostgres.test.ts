/**
 * `smartcall admin … --store postgres://…` (issue 15) through the real CLI, against a private
 * PostgreSQL: an account, an AccessKey, a display number, callback and receipt settings written by
 * the admin commands (with `--store`, and once with SMARTCALL_STORE_URL) are what an API node
 * (`serve --role api`) then serves: a SmartCall signed with that key from that number is accepted.
 * The data directory gets no SQLite database, so no command fell back to it. Sealing a secret
 * without the nodes' master key, and the admin commands not built for PostgreSQL, are refused.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PgStore } from '../../src/store/postgres/pgStore.js';
import { callAction } from '../helpers/aliClients.js';
import { freePorts } from '../helpers/ports.js';
import { postgresForFile } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tempDir.js';
import { nodeEnv, smartcallAsync, start, startedLine, stopAll } from './cliHarness.js';

const MASTER_KEY = 'admin-postgres-test-master-key-0123';
const SHOW = '05710000003';

const dir = tempDir('smartcall-pgadmin-');
const postgres = postgresForFile(async () => {
  await stopAll();
  dir.remove();
});
const env = (extra: NodeJS.ProcessEnv = {}) => nodeEnv({ SMARTCALL_MASTER_KEY: MASTER_KEY, ...extra });

/** One admin command against `data` with --json; fails the test unless it exits 0. */
async function admin(args: string[], data: string, extra: NodeJS.ProcessEnv = {}) {
  const r = await smartcallAsync(['admin', ...args, '--data-dir', data, '--json'], { env: env(extra) });
  assert.equal(r.status, 0, `admin ${args.join(' ')}: ${r.stderr}`);
  return r.json();
}

test('admin --store postgres:// writes a tenant that an API node on that store serves', async () => {
  const url = await postgres().createDatabase('pgadmin');
  const data = join(dir.path, 'admin-data');
  const store = ['--store', url];

  const created = await admin(['account', 'create', '--name', 'tenant', '--qps', '50', ...store], data);
  assert.equal(created.name, 'tenant');
  assert.equal(created.qps, 50);
  const key = (await admin(['key', 'create', '--account', 'tenant', ...store], data)) as {
    accessKeyId: string;
    accessKeySecret: string;
  };
  // The environment instead of the flag, as a deployment's nodes are configured.
  await admin(['number', 'add', '--account', 'tenant', '--number', SHOW, '--inbound'], data, {
    SMARTCALL_STORE_URL: url,
  });
  await admin(
    [
      'callback',
      'set',
      '--account',
      'tenant',
      '--url',
      'http://127.0.0.1:9/callback',
      '--signing-secret',
      'a-signing-secret-0123',
      ...store,
    ],
    data,
  );
  await admin(
    [
      'receipts',
      'set',
      '--account',
      'tenant',
      '--url',
      'http://127.0.0.1:9/receipts',
      '--types',
      'VoiceReport',
    ],
    data,
    { SMARTCALL_STORE_URL: url },
  );

  // The lists read the same store back.
  const accounts = (await admin(['account', 'list', ...store], data)) as {
    name: string;
    callback: { url: string; signed: boolean };
    receipts: { url: string; types: string[] };
  }[];
  assert.deepEqual(
    accounts.map((a) => [a.name, a.callback.url, a.callback.signed, a.receipts.url, a.receipts.types]),
    [['tenant', 'http://127.0.0.1:9/callback', true, 'http://127.0.0.1:9/receipts', ['VoiceReport']]],
  );
  const keys = (await admin(['key', 'list', '--account', 'tenant', ...store], data)) as {
    accessKeyId: string;
  }[];
  assert.deepEqual(
    keys.map((k) => k.accessKeyId),
    [key.accessKeyId],
  );
  const numbers = (await admin(['number', 'list', '--account', 'tenant', ...store], data)) as {
    number: string;
    inbound: boolean;
  }[];
  assert.deepEqual(
    numbers.map((n) => [n.number, n.inbound]),
    [[SHOW, true]],
  );
  assert.equal(existsSync(join(data, 'smartcall.db')), false, 'nothing went to the data directory');

  // What the nodes read: the settings in PostgreSQL, the secret sealed with the master key.
  const pg = await PgStore.open(url, { poolSize: 1 });
  let accountId: number;
  try {
    const account = await pg.accounts.findByName('tenant');
    assert.ok(account, 'the account is in PostgreSQL');
    accountId = account.id;
    assert.equal(account.qps, 50);
    assert.equal(account.callback.url, 'http://127.0.0.1:9/callback');
    assert.deepEqual(account.receipts.types, ['VoiceReport']);
    assert.equal((await pg.numbers.find(SHOW))?.inbound, true);
  } finally {
    await pg.close();
  }

  const [sipPort] = await freePorts(1);
  const node = await start(
    [
      'serve',
      '--role',
      'api',
      '--store',
      url,
      '--data-dir',
      join(dir.path, 'api-data'),
      '--http-port',
      '0',
      '--sip-port',
      String(sipPort),
      '--log-format',
      'json',
    ],
    (out) => out.includes('"smartcall started"'),
    { env: env() },
  );
  try {
    const { port } = startedLine(node);
    const r = await callAction('popPost', { endpoint: `127.0.0.1:${port}`, ...key }, 'SmartCall', {
      CalledShowNumber: SHOW,
      CalledNumber: '13800138003',
      VoiceCode: '$a$',
      VoiceCodeParam: '{"a":"你好"}',
    });
    assert.equal(r.code, 'OK', JSON.stringify(r));
    const pg2 = await PgStore.open(url, { poolSize: 1 });
    try {
      const call = await pg2.calls.find(String(r.body!.CallId));
      assert.equal(call?.accountId, accountId);
      assert.equal(call?.calledShowNumber, SHOW, 'the call carries the number the admin added');
    } finally {
      await pg2.close();
    }
  } finally {
    assert.equal(await node.stop(), 0);
  }
});

test('admin on a postgres store refuses to seal a secret without the master key, and what it does not do yet', async () => {
  const url = await postgres().createDatabase('pgadmin_refusals');
  const data = join(dir.path, 'refusals-data');
  await admin(['account', 'create', '--name', 'tenant', '--store', url], data);
  const noKey = { SMARTCALL_MASTER_KEY: '' };
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['key', 'create', '--account', 'tenant', '--store', url], noKey, /postgres store needs masterKey/],
    [
      ['callback', 'set', '--account', 'tenant', '--signing-secret', 'a-signing-secret-0123', '--store', url],
      noKey,
      /postgres store needs masterKey/,
    ],
    [['trunk', 'list', '--store', url], {}, /not yet on a postgres store: admin trunk list/],
    [
      ['account', 'disable', '--name', 'tenant'],
      { SMARTCALL_STORE_URL: url },
      /not yet on a postgres store: admin account disable/,
    ],
    [
      ['number', 'remove', '--account', 'tenant', '--number', SHOW, '--store', url],
      {},
      /not yet on a postgres store: admin number remove/,
    ],
    [['account', 'list', '--store', 'mysql://x/y'], {}, /must be sqlite or a postgres:\/\/ URL/],
  ];
  for (const [args, extra, message] of cases) {
    const r = await smartcallAsync(['admin', ...args, '--data-dir', data], { env: env(extra) });
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const keys = await admin(['key', 'list', '--account', 'tenant', '--store', url], data);
  assert.deepEqual(keys, [], 'no key was stored');
  const [account] = (await admin(['account', 'list', '--store', url], data)) as {
    status: string;
    callback: { signed: boolean };
  }[];
  assert.equal(account?.status, 'active', 'the refused disable changed nothing');
  assert.equal(account?.callback.signed, false);
  assert.equal(existsSync(join(data, 'smartcall.db')), false, 'nothing went to the data directory');
});

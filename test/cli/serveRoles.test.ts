/**
 * `smartcall serve --role api --store postgres://…` (issue 15) through the real CLI: against a private
 * PostgreSQL it serves a signed SmartCall from the real client library, the call lands in PostgreSQL
 * (not in the data directory's SQLite) and no SIP port is bound. Without `--role api` or without
 * `--store` the same start is refused, so each flag is seen to matter; the roles and stores not
 * built yet (and `--role scheduler` on SQLite) are refused by name, flags and environment alike,
 * before anything binds.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PgStore } from '../../src/store/postgres/pgStore.js';
import { callAction } from '../helpers/aliClients.js';
import { seedTenant } from '../helpers/pgTenant.js';
import { freePorts } from '../helpers/ports.js';
import { postgresForFile } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tempDir.js';
import { nodeEnv, nodeStarted, smartcall, start, startedLine, stopAll, tcpAccepts } from './cliHarness.js';
import { sipOptions } from './sipProbe.js';

const MASTER_KEY = 'serve-roles-test-master-key-012345';
const SECRET = 'ServeRolesSecret0123456789abcde';
const KEY_ID = 'LTAIserverolestest000001';
const SHOW = '05710000002';

const dir = tempDir('smartcall-roles-');
const postgres = postgresForFile(stopAll);
after(() => dir.remove());
const env = (extra: NodeJS.ProcessEnv = {}) => nodeEnv({ SMARTCALL_MASTER_KEY: MASTER_KEY, ...extra });

test('serve --role api --store postgres:// answers a signed SmartCall into PostgreSQL, with no SIP and no SQLite', async () => {
  const url = await postgres().createDatabase('roles');
  const admin = await PgStore.open(url, { poolSize: 2 });
  try {
    await seedTenant(admin, { masterKey: MASTER_KEY, keyId: KEY_ID, secret: SECRET, show: SHOW });

    const data = join(dir.path, 'api-data');
    const [sipPort] = await freePorts(1);
    const args = ['serve', '--data-dir', data, '--http-port', '0', '--sip-port', String(sipPort)];
    // Each flag alone is refused: without --store the API role has no shared store, without --role
    // the default role (all) does not run on PostgreSQL yet.
    const noStore = smartcall([...args, '--role', 'api'], { env: env() });
    assert.equal(noStore.status, 1);
    assert.match(noStore.stderr, /not yet: --role api needs a shared store/);
    const noRole = smartcall([...args, '--store', url], { env: env() });
    assert.equal(noRole.status, 1);
    assert.match(noRole.stderr, /not yet: --role all runs on SQLite only/);

    const node = await start(
      [...args, '--role', 'api', '--store', url, '--log-format', 'json'],
      nodeStarted,
      { env: env() },
    );
    try {
      const started = startedLine(node);
      assert.equal(started.role, 'api');
      assert.equal(started.store, 'postgres');
      assert.doesNotMatch(
        node.output(),
        new RegExp(url.replace(/[/^$.*+?()[\]{}|\\]/g, '\\$&')),
        'the URL is not logged',
      );
      const r = await callAction(
        'popPost',
        { endpoint: `127.0.0.1:${started.port}`, accessKeyId: KEY_ID, accessKeySecret: SECRET },
        'SmartCall',
        {
          CalledShowNumber: SHOW,
          CalledNumber: '13800138001',
          VoiceCode: '$a$',
          VoiceCodeParam: '{"a":"你好"}',
        },
      );
      assert.equal(r.code, 'OK', JSON.stringify(r));
      const call = await admin.calls.find(String(r.body!.CallId));
      assert.equal(call?.state, 'queued', 'the call waits in PostgreSQL for a scheduler');
      assert.equal(call?.calledNumber, '13800138001');
      assert.equal(existsSync(join(data, 'smartcall.db')), false, 'no SQLite database in the data directory');
      assert.equal(await sipOptions({ host: '127.0.0.1', port: sipPort! }), undefined, 'no SIP over UDP');
      assert.equal(await tcpAccepts('127.0.0.1', sipPort!), false, 'no SIP over TCP');
    } finally {
      assert.equal(await node.stop(), 0, 'SIGTERM stops the API node cleanly');
    }
  } finally {
    await admin.close();
  }
});

test('serve refuses the roles and stores not built yet, by name, from flags and the environment', () => {
  const data = join(dir.path, 'refused');
  const pg = 'postgres://nobody@127.0.0.1:1/none';
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [
      ['--role', 'scheduler'],
      {},
      /--role scheduler needs PostgreSQL: it places the calls of the shared queue, which exists only there \(--store postgres:\/\/…/,
    ],
    [[], { SMARTCALL_ROLE: 'scheduler' }, /--role scheduler needs PostgreSQL/],
    [['--role', 'media'], {}, /not yet: --role media needs a shared store/],
    [['--role', 'media', '--store', pg], { SMARTCALL_MASTER_KEY: '' }, /--role media needs masterKey/],
    [[], { SMARTCALL_ROLE: 'receipts' }, /not yet: --role receipts/],
    [[], { SMARTCALL_STORE_URL: pg }, /not yet: --role all runs on SQLite only/],
    [['--role', 'api'], { SMARTCALL_MASTER_KEY: '' }, /not yet: --role api needs a shared store/],
    [['--role', 'api', '--store', pg], { SMARTCALL_MASTER_KEY: '' }, /--role api needs masterKey/],
    [['--role', 'bogus'], {}, /invalid configuration at role/],
    [
      ['--store', 'mysql://x/y'],
      {},
      /invalid configuration at store\.url: must be sqlite or a postgres:\/\/ URL/,
    ],
  ];
  for (const [flags, extra, message] of cases) {
    const r = smartcall(['serve', '--data-dir', data, '--http-port', '0', '--sip-port', '0', ...flags], {
      env: env(extra),
      killAfterMs: 15_000,
    });
    assert.equal(r.status, 1, `${flags.join(' ')} ${JSON.stringify(extra)}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.equal(existsSync(join(data, 'smartcall.db')), false, 'nothing was started');
});

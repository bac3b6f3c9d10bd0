/**
 * `smartcall admin sts create` as an operator runs it beside a running server: the printed triple
 * is what a business puts into its SDK's STS configuration, and it authenticates at once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { CLIENTS, callAction } from '../helpers/aliClients.js';
import { type ApiHarness, CALLEE, DISPLAY_NUMBER, startApiHarness } from '../helpers/apiHarness.js';

let api: ApiHarness;
before(async () => {
  api = await startApiHarness();
});
after(() => api.close());

function smartcall(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/smartcall.js', '--data-dir', api.dataDir, ...args], {
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const VALID = {
  CalledShowNumber: DISPLAY_NUMBER,
  CalledNumber: CALLEE,
  VoiceCode: '$t$',
  VoiceCodeParam: '{"t":"您好"}',
};

test('the --json triple of `admin sts create` places a call through every client', async () => {
  const before = Date.now();
  const r = smartcall('admin', 'sts', 'create', '--account', 'acme', '--ttl', '3600', '--json');
  assert.equal(r.status, 0, r.stderr);
  const sts = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(sts).sort(), [
    'accessKeyId',
    'accessKeySecret',
    'account',
    'expiration',
    'securityToken',
  ]);
  assert.match(sts.accessKeyId, /^STS\.[A-Za-z0-9]{24}$/);
  assert.equal(sts.account, 'acme');
  assert.match(sts.expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // Issued between `before` and now, rounded down to the second.
  const expiresAt = Date.parse(sts.expiration);
  assert.ok(expiresAt > before - 1000 + 3_600_000 && expiresAt <= Date.now() + 3_600_000, sts.expiration);

  for (const client of CLIENTS) {
    const c = { endpoint: api.endpoint, ...sts };
    const call = await callAction(client, c, 'SmartCall', VALID);
    assert.equal(call.code, 'OK', `${client}: ${JSON.stringify(call)}`);
  }
  const { securityToken: _token, ...withoutToken } = sts;
  const missing = await callAction('v3', { endpoint: api.endpoint, ...withoutToken }, 'SmartCall', VALID);
  assert.equal(missing.code, 'MissingSecurityToken');
});

test('a lifetime outside 900-43200 s or an unknown account is refused with a JSON error', () => {
  const short = smartcall('admin', 'sts', 'create', '--account', 'acme', '--ttl', '60', '--json');
  assert.equal(short.status, 1);
  assert.match(JSON.parse(short.stderr).error, /ttl must be an integer between 900 and 43200 seconds/);
  assert.equal(short.stdout, '');
  const nobody = smartcall('admin', 'sts', 'create', '--account', 'nobody', '--json');
  assert.equal(nobody.status, 1);
  assert.match(JSON.parse(nobody.stderr).error, /no account named "nobody"/);
});

test('without --json it prints the four values for a person, the default lifetime being an hour', () => {
  const r = smartcall('admin', 'sts', 'create', '--account', 'acme');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^AccessKeyId: +STS\./m);
  assert.match(r.stdout, /^AccessKeySecret: +\S{30}$/m);
  assert.match(r.stdout, /^SecurityToken: +\S+$/m);
  const expiration = Date.parse(/^Expiration: +(\S+)$/m.exec(r.stdout)![1]!);
  assert.ok(Math.abs(expiration - Date.now() - 3_600_000) < 10_000);
});

/** Temporary credentials: what a SecurityToken binds, and what the resolver makes of one. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { CredentialResolver } from '../../src/tenancy/credentials.js';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { StsTokens } from '../../src/tenancy/stsTokens.js';
import { TenancyAdmin } from '../../src/tenancy/tenancyAdmin.js';

const T0 = 1_700_000_000_500;
const box = SecretBox.fromMasterKey('test master key, long enough');

function setup() {
  const store = SqliteStore.inMemory();
  let now = T0;
  const admin = new TenancyAdmin(store, box, () => now);
  admin.createAccount({ name: 'acme' });
  return {
    store,
    admin,
    resolver: new CredentialResolver(store, box),
    setNow: (t: number) => {
      now = t;
    },
  };
}

test('a token carries the temporary key, its secret, the account and the expiry, unreadably', () => {
  const { admin } = setup();
  const sts = admin.createTemporaryCredential('acme', 900);
  assert.match(sts.accessKeyId, /^STS\.[A-Za-z0-9]{24}$/);
  assert.equal(sts.expiration, '2023-11-14T22:28:20Z', 'T0 rounded down to the second, plus 900 s');
  assert.ok(!sts.securityToken.includes(sts.accessKeySecret));
  assert.ok(!sts.securityToken.includes(sts.accessKeyId));
  assert.deepEqual(new StsTokens(box).open(sts.securityToken), {
    accessKeyId: sts.accessKeyId,
    accessKeySecret: sts.accessKeySecret,
    accountId: admin.account('acme').id,
    expiresAt: Date.parse(sts.expiration),
  });
});

test('the check says malformed before mismatch before expired, and expired from the expiry on', () => {
  const { admin } = setup();
  const tokens = new StsTokens(box);
  const sts = admin.createTemporaryCredential('acme', 900);
  const expiresAt = Date.parse(sts.expiration);
  assert.equal(tokens.check(sts.accessKeyId, undefined, T0), 'missing');
  assert.equal(tokens.check(sts.accessKeyId, '', T0), 'missing');
  assert.equal(tokens.check(sts.accessKeyId, 'garbage', expiresAt + 1), 'malformed');
  assert.equal(tokens.check('STS.someoneelse', sts.securityToken, expiresAt + 1), 'mismatch');
  assert.equal(typeof tokens.check(sts.accessKeyId, sts.securityToken, expiresAt - 1), 'object', 'valid');
  assert.equal(tokens.check(sts.accessKeyId, sts.securityToken, expiresAt), 'expired');
});

test('a token only opens under the STS key of the installation that sealed it', () => {
  const { admin } = setup();
  const sts = admin.createTemporaryCredential('acme', 900);
  assert.equal(
    new StsTokens(SecretBox.fromMasterKey('another installation')).open(sts.securityToken),
    undefined,
  );
  assert.throws(() => box.open(sts.securityToken), 'the master key itself does not open it');
  const storedSecret = box.seal(JSON.stringify({ k: 'STS.x', s: 'y', a: 1, e: T0 * 2 }));
  assert.equal(new StsTokens(box).open(storedSecret), undefined, 'a value sealed at rest is no token');
});

test('a token whose GCM tag is cut short is refused, not checked on 4 bytes', () => {
  const { admin } = setup();
  const sts = admin.createTemporaryCredential('acme', 900);
  const [version, iv, tag, body] = sts.securityToken.split(':');
  const short = Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url');
  assert.equal(new StsTokens(box).open([version, iv, short, body].join(':')), undefined);
});

test('the resolver turns a good token into the account credential, with its current status', () => {
  const { admin, resolver } = setup();
  const sts = admin.createTemporaryCredential('acme', 900);
  const credential = resolver.resolveTemporary(sts.accessKeyId, sts.securityToken, T0);
  assert.deepEqual(credential, {
    accessKeyId: sts.accessKeyId,
    accountId: admin.account('acme').id,
    secret: sts.accessKeySecret,
    keyStatus: 'active',
    accountStatus: 'active',
    qps: null,
  });
  admin.setAccountStatus('acme', 'disabled');
  const later = resolver.resolveTemporary(sts.accessKeyId, sts.securityToken, T0 + 2001);
  assert.equal(typeof later === 'object' && later.accountStatus, 'disabled');
  assert.equal(resolver.resolveTemporary(sts.accessKeyId, sts.securityToken, T0 + 900_000), 'expired');
});

test('issuing checks the lifetime (900-43200 s, as AssumeRole) and the account', () => {
  const { admin } = setup();
  assert.throws(() => admin.createTemporaryCredential('acme', 899), /between 900 and 43200/);
  assert.throws(() => admin.createTemporaryCredential('acme', 43_201), /between 900 and 43200/);
  assert.throws(() => admin.createTemporaryCredential('acme', 1000.5), /between 900 and 43200/);
  assert.throws(() => admin.createTemporaryCredential('nobody', 900), /no account named/);
  admin.setAccountStatus('acme', 'disabled');
  assert.throws(() => admin.createTemporaryCredential('acme', 900), /disabled/);
  admin.setAccountStatus('acme', 'active');
  const defaulted = admin.createTemporaryCredential('acme');
  assert.equal(Date.parse(defaulted.expiration), 1_700_000_000_000 + 3_600_000);
});

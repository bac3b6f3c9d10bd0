/**
 * STS temporary credentials through every real client's own SecurityToken path (V3
 * `x-acs-security-token`, V1 `SecurityToken` in the query or the form): accepted while fresh,
 * refused with the documented code when expired, forged, mismatched or missing (spec §7.2).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SecretBox } from '../../src/tenancy/secretBox.js';
import { StsTokens } from '../../src/tenancy/stsTokens.js';
import { CLIENTS, callAction } from '../helpers/aliClients.js';
import { CALLEE, DISPLAY_NUMBER } from '../helpers/apiHarness.js';
import { type ClockedGateway, startClockedGateway } from './clockedGateway.js';

const VALID = {
  CalledShowNumber: DISPLAY_NUMBER,
  CalledNumber: CALLEE,
  VoiceCode: '$t$',
  VoiceCodeParam: '{"t":"您好"}',
};

interface Triple {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
}

const as = (gw: ClockedGateway, t: Triple) => ({ endpoint: gw.endpoint, ...t });

/** The same token with one character of its sealed body changed. */
function tamper(token: string): string {
  const i = token.length - 5;
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

describe('a fresh temporary credential', () => {
  let gw: ClockedGateway;
  before(async () => {
    gw = await startClockedGateway();
  });
  after(() => gw.close());

  for (const client of CLIENTS) {
    test(`places a call for its account (${client})`, async () => {
      const sts = gw.admin.createTemporaryCredential('acme', 3600);
      assert.match(sts.accessKeyId, /^STS\./);
      const r = await callAction(client, as(gw, sts), 'SmartCall', VALID);
      assert.equal(r.code, 'OK', JSON.stringify(r));
      const stored = gw.store.calls.find(String(r.body!.CallId))!;
      assert.equal(stored.accountId, gw.admin.account('acme').id);
    });
  }

  for (const client of CLIENTS) {
    test(`with a forged token is InvalidSecurityToken.Malformed (${client})`, async () => {
      const sts = gw.admin.createTemporaryCredential('acme', 3600);
      const forged = { ...sts, securityToken: tamper(sts.securityToken) };
      assert.equal(
        (await callAction(client, as(gw, forged), 'SmartCall', VALID)).code,
        'InvalidSecurityToken.Malformed',
      );
      const garbage = { ...sts, securityToken: 'CAIS-not-a-token' };
      assert.equal(
        (await callAction(client, as(gw, garbage), 'SmartCall', VALID)).code,
        'InvalidSecurityToken.Malformed',
      );
      assert.equal(
        (await callAction(client, as(gw, sts), 'SmartCall', VALID)).code,
        'OK',
        'the genuine one works',
      );
    });
  }

  test("a token sealed by another installation's key is Malformed", async () => {
    const sts = gw.admin.createTemporaryCredential('acme', 3600);
    const elsewhere = new StsTokens(SecretBox.fromMasterKey('another installation')).seal({
      accessKeyId: sts.accessKeyId,
      accessKeySecret: sts.accessKeySecret,
      accountId: gw.admin.account('acme').id,
      expiresAt: gw.clock.now() + 3_600_000,
    });
    const r = await callAction('v3', as(gw, { ...sts, securityToken: elsewhere }), 'SmartCall', VALID);
    assert.equal(r.code, 'InvalidSecurityToken.Malformed');
    assert.equal(r.status, 400);
    assert.equal((await callAction('v3', as(gw, sts), 'SmartCall', VALID)).code, 'OK');
  });

  for (const client of CLIENTS) {
    test(`with another key's token is InvalidSecurityToken.MismatchWithAccessKey (${client})`, async () => {
      const a = gw.admin.createTemporaryCredential('acme', 3600);
      const b = gw.admin.createTemporaryCredential('acme', 3600);
      const r = await callAction(
        client,
        as(gw, { ...a, securityToken: b.securityToken }),
        'SmartCall',
        VALID,
      );
      assert.equal(r.code, 'InvalidSecurityToken.MismatchWithAccessKey');
      assert.ok(r.errorName, 'every client throws');
      const permanent = { ...gw.key, securityToken: a.securityToken };
      assert.equal(
        (await callAction(client, as(gw, permanent), 'SmartCall', VALID)).code,
        'InvalidSecurityToken.MismatchWithAccessKey',
        'a permanent key with a token is refused too',
      );
    });
  }

  for (const client of CLIENTS) {
    test(`without its token is MissingSecurityToken (${client})`, async () => {
      const sts = gw.admin.createTemporaryCredential('acme', 3600);
      const r = await callAction(
        client,
        { endpoint: gw.endpoint, accessKeyId: sts.accessKeyId, accessKeySecret: sts.accessKeySecret },
        'SmartCall',
        VALID,
      );
      assert.equal(r.code, 'MissingSecurityToken');
      assert.match(String(r.message), /SecurityToken is mandatory for this action/);
    });
  }

  test('with the wrong secret is SignatureDoesNotMatch, the token being fine', async () => {
    const sts = gw.admin.createTemporaryCredential('acme', 3600);
    const r = await callAction(
      'v2',
      as(gw, { ...sts, accessKeySecret: 'not-the-secret' }),
      'SmartCall',
      VALID,
    );
    assert.equal(r.code, 'SignatureDoesNotMatch');
  });

  test('acts for its account as it is now: a disabled account gets isv.OUT_OF_SERVICE', async () => {
    gw.admin.createAccount({ name: 'paused' });
    gw.admin.addNumber('paused', '057188886666');
    const sts = gw.admin.createTemporaryCredential('paused', 3600);
    const params = { ...VALID, CalledShowNumber: '057188886666' };
    assert.equal((await callAction('v3', as(gw, sts), 'SmartCall', params)).code, 'OK');
    gw.admin.setAccountStatus('paused', 'disabled');
    gw.clock.advance(2100); // the account cache
    assert.equal((await callAction('v3', as(gw, sts), 'SmartCall', params)).code, 'isv.OUT_OF_SERVICE');
  });
});

describe('an expiring temporary credential', () => {
  let gw: ClockedGateway;
  before(async () => {
    gw = await startClockedGateway();
  });
  after(() => gw.close());

  test('works until its last second and is InvalidSecurityToken.Expired from its expiration on', async () => {
    const sts = gw.admin.createTemporaryCredential('acme', 900);
    const expiresAt = Date.parse(sts.expiration);
    gw.clock.advance(expiresAt - gw.clock.now() - 1000);
    for (const client of CLIENTS) {
      assert.equal((await callAction(client, as(gw, sts), 'SmartCall', VALID)).code, 'OK', client);
    }
    gw.clock.advance(1000);
    for (const client of CLIENTS) {
      const r = await callAction(client, as(gw, sts), 'SmartCall', VALID);
      assert.equal(r.code, 'InvalidSecurityToken.Expired', client);
      assert.ok(r.errorName, client);
    }
    const fresh = gw.admin.createTemporaryCredential('acme', 900);
    assert.equal((await callAction('v3', as(gw, fresh), 'SmartCall', VALID)).code, 'OK', 'a new one works');
  });
});

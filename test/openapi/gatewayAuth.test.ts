/**
 * Who may call, and how refusals look: wrong secret, replayed nonce, expired timestamp, unknown or
 * disabled keys, throttling, unknown action or version, XML rendering — through the real clients
 * where they can express the case, and raw HTTP where only a broken client would send it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import OpenApiUtil from '@alicloud/openapi-util';
import { XMLParser } from 'fast-xml-parser';
import { CLIENTS, callAction, isOfficialSdk } from '../helpers/aliClients.js';
import { type ApiHarness, CALLEE, DISPLAY_NUMBER, startApiHarness } from '../helpers/apiHarness.js';

let api: ApiHarness;
before(async () => {
  api = await startApiHarness();
});
after(() => api.close());

const VALID = {
  CalledShowNumber: DISPLAY_NUMBER,
  CalledNumber: CALLEE,
  VoiceCode: '$t$',
  VoiceCodeParam: '{"t":"您好"}',
};
const creds = (over: Partial<{ accessKeyId: string; accessKeySecret: string }> = {}) => ({
  endpoint: api.endpoint,
  accessKeyId: api.accessKeyId,
  accessKeySecret: api.accessKeySecret,
  ...over,
});

/** V1 request signed by the official SDK's own signing function, sent with fetch. */
async function rawV1(
  params: Record<string, string>,
  method: 'GET' | 'POST' = 'GET',
  secret = api.accessKeySecret,
) {
  const all: Record<string, string> = {
    AccessKeyId: api.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomBytes(16).toString('hex'),
    Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    Version: '2017-05-25',
    ...params,
  };
  // biome-ignore lint/suspicious/noExplicitAny: CJS interop of the SDK utility
  const util: any = (OpenApiUtil as any).default ?? OpenApiUtil;
  all.Signature = util.getRPCSignature(all, method, secret);
  const qs = new URLSearchParams(all).toString();
  const res = await fetch(`http://${api.endpoint}/?${qs}`, { method });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

describe('signatures', () => {
  for (const client of CLIENTS) {
    test(`a wrong secret is refused as SignatureDoesNotMatch (${client})`, async () => {
      const r = await callAction(client, creds({ accessKeySecret: 'not-the-secret' }), 'SmartCall', VALID);
      assert.equal(r.code, 'SignatureDoesNotMatch');
      assert.ok(r.errorName);
    });
    test(`an unknown AccessKeyId is InvalidAccessKeyId.NotFound (${client})`, async () => {
      const r = await callAction(
        client,
        creds({ accessKeyId: 'LTAInobodyhasthiskey000' }),
        'SmartCall',
        VALID,
      );
      assert.equal(r.code, 'InvalidAccessKeyId.NotFound');
    });
  }

  test('the V1 mismatch message shows the server string to sign, as Alibaba does', async () => {
    const r = await callAction('popGet', creds({ accessKeySecret: 'x' }), 'SmartCall', VALID);
    assert.match(String(r.message), /server string to sign is:GET&%2F&AccessKeyId%3D/);
  });

  test('a disabled key is refused, and works again once enabled', async () => {
    const key = api.admin.createKey('acme');
    api.admin.setKeyStatus(key.accessKeyId, 'disabled');
    const c = creds({ accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret });
    await new Promise((r) => setTimeout(r, 2100)); // credential cache TTL
    assert.equal((await callAction('v3', c, 'SmartCall', VALID)).code, 'InvalidAccessKeyId.Inactive');
    api.admin.setKeyStatus(key.accessKeyId, 'active');
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal((await callAction('v3', c, 'SmartCall', VALID)).code, 'OK');
  });
});

describe('replay protection', () => {
  test('the same nonce twice is SignatureNonceUsed (V3)', async () => {
    const nonce = randomBytes(16).toString('hex');
    const headers = { 'x-acs-signature-nonce': nonce };
    assert.equal((await callAction('v3', creds(), 'SmartCall', VALID, { headers })).code, 'OK');
    const again = await callAction('v3', creds(), 'SmartCall', VALID, { headers });
    assert.equal(again.code, 'SignatureNonceUsed');
    assert.equal(again.status, 400);
  });

  test('the same nonce twice is SignatureNonceUsed (pop-core)', async () => {
    const params = { ...VALID, SignatureNonce: randomBytes(16).toString('hex') };
    assert.equal((await callAction('popGet', creds(), 'SmartCall', params)).code, 'OK');
    assert.equal((await callAction('popGet', creds(), 'SmartCall', params)).code, 'SignatureNonceUsed');
  });

  test('a timestamp 20 minutes old is InvalidTimeStamp.Expired (V3 and V1)', async () => {
    const old = new Date(Date.now() - 20 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const v3 = await callAction('v3', creds(), 'SmartCall', VALID, { headers: { 'x-acs-date': old } });
    assert.equal(v3.code, 'InvalidTimeStamp.Expired');
    const pop = await callAction('popGet', creds(), 'SmartCall', { ...VALID, Timestamp: old });
    assert.equal(pop.code, 'InvalidTimeStamp.Expired');
  });

  test('a garbled timestamp is InvalidTimeStamp.Format', async () => {
    const pop = await callAction('popPost', creds(), 'SmartCall', { ...VALID, Timestamp: 'yesterday' });
    assert.equal(pop.code, 'InvalidTimeStamp.Format');
  });
});

describe('routing and rendering', () => {
  for (const client of CLIENTS) {
    test(`an unknown action is InvalidAction.NotFound with 404 (${client})`, async () => {
      const r = await callAction(client, creds(), 'MakeCoffee', {});
      assert.equal(r.code, 'InvalidAction.NotFound');
      if (isOfficialSdk(client)) assert.equal(r.status, 404);
    });
  }

  test('a V1 request without Format gets XML, the documented default', async () => {
    const r = await rawV1({ Action: 'SmartCall', ...VALID });
    assert.equal(r.status, 200);
    assert.equal(r.contentType, 'text/xml;charset=utf-8');
    const doc = new XMLParser().parse(r.text);
    assert.equal(doc.SmartCallResponse.Code, 'OK');
    assert.match(doc.SmartCallResponse.CallId, /^\d{12}\^\d{12}$/);
  });

  test('Format=XML errors use the <Error> document', async () => {
    const r = await rawV1({ Action: 'SmartCall', Format: 'XML', CalledShowNumber: DISPLAY_NUMBER });
    assert.equal(r.status, 400);
    const doc = new XMLParser().parse(r.text);
    assert.equal(doc.Error.Code, 'MissingCalledNumber');
    assert.equal(doc.Error.HostId, 'dyvmsapi.aliyuncs.com');
    assert.ok(doc.Error.RequestId);
  });

  test('Format=XML business errors keep the action root', async () => {
    const r = await rawV1({ Action: 'SmartCall', Format: 'XML', ...VALID, CalledNumber: '123' });
    assert.equal(r.status, 200);
    assert.equal(new XMLParser().parse(r.text).SmartCallResponse.Code, 'isv.MOBILE_NUMBER_ILLEGAL');
  });

  test('a wrong Version is InvalidVersion', async () => {
    const r = await rawV1({ Action: 'SmartCall', Format: 'JSON', ...VALID, Version: '2099-01-01' });
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.text).Code, 'InvalidVersion');
  });

  test('a request without any signature is MissingSignature', async () => {
    const res = await fetch(`http://${api.endpoint}/?Action=SmartCall&Version=2017-05-25&Format=JSON`);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { Code: string }).Code, 'MissingSignature');
  });

  test('a repeated parameter name is refused as ambiguous', async () => {
    const res = await fetch(
      `http://${api.endpoint}/?Action=SmartCall&Action=SmartCall&Format=JSON&Signature=x`,
    );
    assert.equal(res.status, 400);
    const body = (await res.json()) as { Code: string; Message: string };
    assert.equal(body.Code, 'InvalidParameter');
    assert.match(body.Message, /Action/);
  });

  test('a path other than / is InvalidAction.NotFound, not a framework page', async () => {
    const res = await fetch(`http://${api.endpoint}/admin?Format=JSON`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { Code: string }).Code, 'InvalidAction.NotFound');
  });

  test('undecodable percent-encoding gets a clear 400', async () => {
    const res = await fetch(`http://${api.endpoint}/?Format=JSON&Action=%E5%BC`);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { Code: string }).Code, 'InvalidParameter');
  });
});

describe('account limits', () => {
  test('past its rate an account gets Throttling.User, which the SDK raises as ThrottlingError', async () => {
    api.admin.createAccount({ name: 'slow', qps: 2 });
    api.admin.addNumber('slow', '057188889999');
    const key = api.admin.createKey('slow');
    const c = creds({ accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret });
    const params = { ...VALID, CalledShowNumber: '057188889999' };
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => callAction('core', c, 'SmartCall', params)));
    const throttled = results.filter((r) => r.code === 'Throttling.User');
    assert.ok(throttled.length >= 3, JSON.stringify(results.map((r) => r.code)));
    assert.equal(throttled[0]!.errorName, 'ThrottlingError');
    assert.equal(throttled[0]!.status, 400);
  });

  test('a disabled account gets isv.OUT_OF_SERVICE', async () => {
    api.admin.createAccount({ name: 'gone' });
    api.admin.addNumber('gone', '057188887777');
    const key = api.admin.createKey('gone');
    api.admin.setAccountStatus('gone', 'disabled');
    const c = creds({ accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret });
    const r = await callAction('v3', c, 'SmartCall', { ...VALID, CalledShowNumber: '057188887777' });
    assert.equal(r.code, 'isv.OUT_OF_SERVICE');
  });
});

describe('QueryCallDetailByCallId and SmartCallOperate', () => {
  test("another account's call is not found: OK without Data", async () => {
    const mine = await callAction('v3', creds(), 'SmartCall', VALID);
    api.admin.createAccount({ name: 'other' });
    const key = api.admin.createKey('other');
    const c = creds({ accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret });
    const q = await callAction('v3', c, 'QueryCallDetailByCallId', {
      CallId: String(mine.body!.CallId),
      ProdId: '11030000180001',
      QueryDate: String(Date.now()),
    });
    assert.equal(q.code, 'OK');
    assert.equal(q.body!.Data, undefined);
  });

  test('a QueryDate two days away or another ProdId finds nothing', async () => {
    const mine = await callAction('v3', creds(), 'SmartCall', VALID);
    const base = { CallId: String(mine.body!.CallId), ProdId: '11030000180001' };
    const far = await callAction('v3', creds(), 'QueryCallDetailByCallId', {
      ...base,
      QueryDate: String(Date.now() - 2 * 86_400_000),
    });
    assert.equal(far.body!.Data, undefined);
    const prod = await callAction('v3', creds(), 'QueryCallDetailByCallId', {
      ...base,
      ProdId: '11000000300006',
      QueryDate: String(Date.now()),
    });
    assert.equal(prod.body!.Data, undefined);
  });

  test('QueryDate must be a number', async () => {
    const r = await callAction('popGet', creds(), 'QueryCallDetailByCallId', {
      CallId: '1^2',
      ProdId: '11030000180001',
      QueryDate: 'today',
    });
    assert.equal(r.code, 'InvalidParameter');
  });

  test('SmartCallOperate parallelBridge answers Status false while no parallel leg exists', async () => {
    const mine = await callAction('v3', creds(), 'SmartCall', VALID);
    for (const client of CLIENTS) {
      const r = await callAction(client, creds(), 'SmartCallOperate', {
        CallId: String(mine.body!.CallId),
        Command: 'parallelBridge',
        Param: 'Param',
      });
      assert.equal(r.code, 'OK', client);
      assert.equal(r.body!.Status, false, client);
    }
  });

  test('SmartCallOperate refuses other commands and needs its parameters', async () => {
    const bad = await callAction('v3', creds(), 'SmartCallOperate', { CallId: '1^2', Command: 'explode' });
    assert.equal(bad.code, 'isv.INVALID_PARAMETERS');
    const missing = await callAction('v3', creds(), 'SmartCallOperate', { CallId: '1^2' });
    assert.equal(missing.code, 'MissingCommand');
  });
});

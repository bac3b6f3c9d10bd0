/**
 * Per-API limits beside the per-account one (spec §7.2): QueryCallDetailByCallId and
 * SmartCallOperate allow 100 requests per second per account, answered `Throttling.Api` with an
 * `x-acs-retry-after` the SDK turns into `ThrottlingError.retryAfter`. The gateway's clock stands
 * still, so "within one second" is exact however slow the machine is.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CLIENTS, type ClientName, callAction } from '../helpers/aliClients.js';
import { CALLEE, DISPLAY_NUMBER, startApiHarness } from '../helpers/apiHarness.js';
import { type ClockedGateway, startClockedGateway } from './clockedGateway.js';

const VALID = {
  CalledShowNumber: DISPLAY_NUMBER,
  CalledNumber: CALLEE,
  VoiceCode: '$t$',
  VoiceCodeParam: '{"t":"您好"}',
};
const QUERY = {
  CallId: '116012854210^102814270001',
  ProdId: '11030000180001',
  QueryDate: String(Date.now()),
};
const OPERATE = { CallId: '116012854210^102814270001', Command: 'parallelBridge' };

let gw: ClockedGateway;
before(async () => {
  gw = await startClockedGateway();
});
after(() => gw.close());

type Creds = { endpoint: string; accessKeyId: string; accessKeySecret: string };

/** `n` calls, ten at a time; returns their codes. */
async function burst(
  c: Creds,
  action: string,
  params: Record<string, string>,
  n: number,
  client: ClientName = 'v3',
) {
  const codes: string[] = [];
  for (let i = 0; i < n; i += 10) {
    const batch = Array.from({ length: Math.min(10, n - i) }, () => callAction(client, c, action, params));
    for (const r of await Promise.all(batch)) codes.push(r.code);
  }
  return codes;
}

function freshAccount(name: string): Creds {
  gw.admin.createAccount({ name });
  return { endpoint: gw.endpoint, ...gw.admin.createKey(name) };
}

describe('Throttling.Api', () => {
  test('the 101st QueryCallDetailByCallId within a second is refused while SmartCall still passes', async () => {
    const c = { endpoint: gw.endpoint, ...gw.key };
    const codes = await burst(c, 'QueryCallDetailByCallId', QUERY, 100);
    assert.deepEqual(new Set(codes), new Set(['OK']), 'the first 100 pass');

    // openapi-core is the client with ThrottlingError (what the generated Dyvmsapi SDK runs on).
    const refused = await callAction('core', c, 'QueryCallDetailByCallId', QUERY);
    assert.equal(refused.code, 'Throttling.Api');
    assert.equal(refused.status, 400);
    assert.equal(refused.errorName, 'ThrottlingError');
    assert.equal(refused.retryAfter, 10, 'x-acs-retry-after: one token of 100/s is 10 ms away');
    assert.match(String(refused.message), /api flow control/);

    for (const client of CLIENTS) {
      assert.equal(
        (await callAction(client, c, 'QueryCallDetailByCallId', QUERY)).code,
        'Throttling.Api',
        client,
      );
    }
    assert.equal((await callAction('v3', c, 'SmartCall', VALID)).code, 'OK', 'the account is not throttled');
    const neighbour = freshAccount('neighbour');
    assert.equal(
      (await callAction('v3', neighbour, 'QueryCallDetailByCallId', QUERY)).code,
      'OK',
      'nor others',
    );

    gw.clock.advance(10);
    assert.equal((await callAction('v3', c, 'QueryCallDetailByCallId', QUERY)).code, 'OK', 'refilled');
    assert.equal((await callAction('v3', c, 'QueryCallDetailByCallId', QUERY)).code, 'Throttling.Api');
  });

  test('SmartCallOperate has its own 100/s, apart from QueryCallDetailByCallId', async () => {
    const c = freshAccount('operator');
    assert.deepEqual(new Set(await burst(c, 'QueryCallDetailByCallId', QUERY, 100)), new Set(['OK']));
    assert.deepEqual(new Set(await burst(c, 'SmartCallOperate', OPERATE, 100)), new Set(['OK']));
    const refused = await callAction('core', c, 'SmartCallOperate', OPERATE);
    assert.equal(refused.code, 'Throttling.Api');
    assert.equal(refused.retryAfter, 10);
  });

  test('an account granted 1500/s may query 150 times a second', async () => {
    gw.admin.createAccount({ name: 'big', qps: 1500 });
    const c = { endpoint: gw.endpoint, ...gw.admin.createKey('big') };
    assert.deepEqual(new Set(await burst(c, 'QueryCallDetailByCallId', QUERY, 150)), new Set(['OK']));
    assert.equal((await callAction('v3', c, 'QueryCallDetailByCallId', QUERY)).code, 'Throttling.Api');
  });
});

describe('Throttling.User', () => {
  test('also tells the client when to retry', async () => {
    gw.admin.createAccount({ name: 'slow', qps: 2 });
    const c = { endpoint: gw.endpoint, ...gw.admin.createKey('slow') };
    assert.equal((await callAction('v3', c, 'QueryCallDetailByCallId', QUERY)).code, 'OK');
    assert.equal((await callAction('v3', c, 'QueryCallDetailByCallId', QUERY)).code, 'OK');
    const refused = await callAction('core', c, 'QueryCallDetailByCallId', QUERY);
    assert.equal(refused.code, 'Throttling.User');
    assert.equal(refused.errorName, 'ThrottlingError');
    assert.equal(refused.retryAfter, 500, 'one token of 2/s is 500 ms away');
  });
});

describe('api.apiQps in the configuration', () => {
  test('a per-API limit from the config reaches the running server', async () => {
    const h = await startApiHarness({ api: { apiQps: { QueryCallDetailByCallId: 2 } } });
    try {
      const c = { endpoint: h.endpoint, accessKeyId: h.accessKeyId, accessKeySecret: h.accessKeySecret };
      const codes = await Promise.all(
        Array.from({ length: 6 }, () => callAction('v3', c, 'QueryCallDetailByCallId', QUERY)),
      );
      assert.ok(
        codes.some((r) => r.code === 'Throttling.Api'),
        `6 queries at once against 2/s: ${codes.map((r) => r.code).join(', ')}`,
      );
    } finally {
      await h.close();
    }
  });
});

/** The two throttles of spec §7.2, driven by explicit timestamps. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiRateFor, DOCUMENTED_API_QPS, RequestThrottle } from '../../src/openapi/throttle.js';

const T0 = 1_700_000_000_000;

test('the throttle lets an account burst to its rate per second, then refuses until refilled', () => {
  const t = new RequestThrottle();
  let passed = 0;
  for (let i = 0; i < 15; i++) if (t.take(1, 10, 'SmartCall', undefined, T0).pass) passed++;
  assert.equal(passed, 10);
  assert.equal(t.take(2, 10, 'SmartCall', undefined, T0).pass, true, 'accounts are throttled separately');
  assert.equal(t.take(1, 10, 'SmartCall', undefined, T0 + 50).pass, false, 'half a token after 50 ms');
  assert.equal(t.take(1, 10, 'SmartCall', undefined, T0 + 100).pass, true, 'one token after 100 ms');
});

test('the documented per-API limits: 100/s for the query, operate and IVR actions, 1000/s for SmartCall and SingleCallByTts, 1200/s for SingleCallByVoice', () => {
  assert.deepEqual(DOCUMENTED_API_QPS, {
    SmartCall: 1000,
    QueryCallDetailByCallId: 100,
    SmartCallOperate: 100,
    SingleCallByTts: 1000,
    SingleCallByVoice: 1200,
    IvrCall: 100,
  });
});

test('an action past its own limit is refused as api, with the time until its next token', () => {
  const t = new RequestThrottle();
  for (let i = 0; i < 100; i++) assert.equal(t.take(1, 1000, 'QueryCallDetailByCallId', 100, T0).pass, true);
  assert.deepEqual(t.take(1, 1000, 'QueryCallDetailByCallId', 100, T0 + 5), {
    pass: false,
    limit: 'api',
    retryAfterMs: 5,
  });
  assert.equal(t.take(1, 1000, 'SmartCall', 1000, T0 + 5).pass, true, 'other actions still pass');
  assert.equal(t.take(2, 1000, 'QueryCallDetailByCallId', 100, T0 + 5).pass, true, 'other accounts too');
  assert.equal(t.take(1, 1000, 'QueryCallDetailByCallId', 100, T0 + 10).pass, true, 'refilled after 10 ms');
});

test('a request refused by the action limit does not use up the account', () => {
  const t = new RequestThrottle();
  for (let i = 0; i < 5; i++) t.take(1, 10, 'SmartCallOperate', 5, T0);
  for (let i = 0; i < 20; i++) assert.equal(t.take(1, 10, 'SmartCallOperate', 5, T0).pass, false);
  let passed = 0;
  for (let i = 0; i < 10; i++) if (t.take(1, 10, 'SmartCall', undefined, T0).pass) passed++;
  assert.equal(passed, 5, 'the 20 refused requests took nothing from the account bucket');
});

test('the account limit is checked first and reports user', () => {
  const t = new RequestThrottle();
  assert.equal(t.take(1, 1, 'SmartCallOperate', 100, T0).pass, true);
  assert.deepEqual(t.take(1, 1, 'SmartCallOperate', 100, T0 + 250), {
    pass: false,
    limit: 'user',
    retryAfterMs: 750,
  });
});

test('an account granted more than the default rate gets its action limits raised in proportion', () => {
  assert.equal(apiRateFor(DOCUMENTED_API_QPS, 'QueryCallDetailByCallId', 1000, 1000), 100);
  assert.equal(apiRateFor(DOCUMENTED_API_QPS, 'QueryCallDetailByCallId', 2, 1000), 100, 'never lowered');
  assert.equal(apiRateFor(DOCUMENTED_API_QPS, 'QueryCallDetailByCallId', 5000, 1000), 500);
  assert.equal(apiRateFor(DOCUMENTED_API_QPS, 'SmartCall', 1_000_000, 1000), 1_000_000);
  assert.equal(apiRateFor(DOCUMENTED_API_QPS, 'CancelCall', 1000, 1000), undefined);
  assert.equal(apiRateFor({ ...DOCUMENTED_API_QPS, SmartCall: 50 }, 'SmartCall', 1000, 1000), 50);
  assert.equal(apiRateFor(DOCUMENTED_API_QPS, 'toString', 1000, 1000), undefined, 'own names only');
});

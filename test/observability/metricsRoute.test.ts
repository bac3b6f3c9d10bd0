/**
 * Who may read `GET /metrics`, and that each server counts on its own: the route on a Fastify app
 * reached with real HTTP on 127.0.0.1, the access rule for the bind addresses it cannot bind here.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import Fastify from 'fastify';
import { Metrics } from '../../src/observability/metrics.js';
import {
  isLoopbackHost,
  metricsRefusal,
  registerMetricsRoute,
} from '../../src/observability/metricsRoute.js';
import { parseExposition } from '../helpers/exposition.js';

const TOKEN = 'a-metrics-token-of-some-length';

test('without a token the figures are open only on a loopback bind; beyond it they are refused, naming the setting', () => {
  for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
    assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['0.0.0.0', '::', '192.0.2.10', '10.0.0.1', 'smartcall.example.com', '::ffff:10.0.0.1'])
    assert.equal(isLoopbackHost(host), false, host);

  assert.equal(metricsRefusal({ token: undefined, host: '127.0.0.1' }, undefined), undefined);
  const refused = metricsRefusal({ token: undefined, host: '0.0.0.0' }, 'Bearer anything');
  assert.equal(refused?.status, 403);
  assert.match(refused?.message ?? '', /metrics\.token.*--metrics-token.*SMARTCALL_METRICS_TOKEN/);
});

test('with a token every scrape presents it, on loopback too', () => {
  for (const host of ['127.0.0.1', '192.0.2.10']) {
    assert.equal(metricsRefusal({ token: TOKEN, host }, undefined)?.status, 401);
    assert.equal(metricsRefusal({ token: TOKEN, host }, `Bearer ${TOKEN}x`)?.status, 401);
    assert.equal(metricsRefusal({ token: TOKEN, host }, TOKEN)?.status, 401, 'the Bearer scheme is required');
    assert.equal(metricsRefusal({ token: TOKEN, host }, `Bearer ${TOKEN}`), undefined);
    assert.equal(metricsRefusal({ token: TOKEN, host }, `bearer  ${TOKEN}`), undefined);
  }
});

test('two servers in one process count apart (a registry each), and each serves its own', async () => {
  const one = new Metrics();
  const two = new Metrics();
  one.callStates.inc({ state: 'dialing' });
  one.callStates.inc({ state: 'dialing' });
  two.callStates.inc({ state: 'dialing' });
  let queued = 3;
  one.gaugeFrom('smartcall_test_queue', 'read at scrape time', () => [{ value: queued }]);

  const apps = [one, two].map((metrics) => {
    const app = Fastify();
    registerMetricsRoute(app, metrics, { token: undefined, host: '127.0.0.1' });
    return app;
  });
  try {
    const bases: string[] = [];
    for (const app of apps) {
      await app.listen({ host: '127.0.0.1', port: 0 });
      bases.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
    }
    const scrape = async (base: string) => parseExposition(await (await fetch(`${base}/metrics`)).text());
    assert.equal(
      (await scrape(bases[0]!)).value('smartcall_call_state_changes_total', { state: 'dialing' }),
      2,
    );
    assert.equal(
      (await scrape(bases[1]!)).value('smartcall_call_state_changes_total', { state: 'dialing' }),
      1,
    );
    assert.equal((await scrape(bases[0]!)).value('smartcall_test_queue'), 3);
    queued = 7;
    assert.equal((await scrape(bases[0]!)).value('smartcall_test_queue'), 7, 'read again at each scrape');
    assert.equal((await scrape(bases[1]!)).types.has('smartcall_test_queue'), false);
  } finally {
    await Promise.all(apps.map((a) => a.close()));
  }
});

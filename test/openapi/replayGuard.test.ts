import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplayGuard } from '../../src/openapi/replayGuard.js';

test('a nonce is accepted once per access key within the memory window', () => {
  const g = new ReplayGuard({ clockSkewSeconds: 900, nonceTtlSeconds: 900 });
  const t0 = 1_700_000_000_000;
  assert.equal(g.useNonce('AK1', 'n1', t0), true);
  assert.equal(g.useNonce('AK1', 'n1', t0 + 1000), false);
  assert.equal(g.useNonce('AK2', 'n1', t0 + 1000), true, 'another key may use the same nonce');
  assert.equal(g.useNonce('AK1', 'n1', t0 + 14 * 60_000), false, 'still remembered after 14 minutes');
});

test('nonces are forgotten after the window and memory is released', () => {
  const g = new ReplayGuard({ clockSkewSeconds: 900, nonceTtlSeconds: 900 });
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < 1000; i++) g.useNonce('AK', `n${i}`, t0);
  assert.equal(g.size, 1000);
  assert.equal(g.useNonce('AK', 'n1', t0 + 17 * 60_000), true);
  assert.equal(g.size, 1);
});

test('timestamps within ±15 minutes are fresh, beyond are not', () => {
  const g = new ReplayGuard({ clockSkewSeconds: 900, nonceTtlSeconds: 900 });
  const now = 1_700_000_000_000;
  assert.equal(g.timestampFresh(now - 899_000, now), true);
  assert.equal(g.timestampFresh(now + 899_000, now), true);
  assert.equal(g.timestampFresh(now - 901_000, now), false);
  assert.equal(g.timestampFresh(now + 901_000, now), false);
});

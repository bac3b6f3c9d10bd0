import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock/manualClock.js';
import { isWildcardAddress, LocalAddresses } from '../../src/net/localAddresses.js';

test('wildcards are recognised in their spellings', () => {
  for (const a of ['0.0.0.0', '::', '0:0::0', '::0']) assert.ok(isWildcardAddress(a), a);
  for (const a of ['127.0.0.1', '::1', '10.0.0.0', 'example.com']) assert.ok(!isWildcardAddress(a), a);
});

test('a specific bind is written as it is; an advertised address wins over it', () => {
  assert.equal(new LocalAddresses({ bind: '127.0.0.1' }).toward('192.0.2.1'), '127.0.0.1');
  const nat = new LocalAddresses({ bind: '0.0.0.0', advertised: '203.0.113.7' });
  assert.equal(nat.toward('127.0.0.1'), '203.0.113.7');
  assert.ok(nat.known('192.0.2.1'), 'nothing to learn');
});

test('a wildcard bind learns the route source per destination and never writes the wildcard', async () => {
  const clock = new ManualClock();
  const local = new LocalAddresses({ bind: '0.0.0.0', clock, ttlMs: 1000 });
  assert.ok(!local.known('127.0.0.2'));
  assert.notEqual(local.toward('192.0.2.1'), '0.0.0.0', 'the guess before learning');
  assert.equal(await local.learn('127.0.0.2'), '127.0.0.1');
  assert.ok(local.known('127.0.0.2'));
  assert.ok(local.isOurs('127.0.0.1'));
  clock.advance(1001);
  assert.ok(!local.known('127.0.0.2'), 'asked again after the TTL');
});

test('an advertised wildcard or name is refused', () => {
  assert.throws(() => new LocalAddresses({ bind: '0.0.0.0', advertised: '0.0.0.0' }), /advertised/);
  assert.throws(() => new LocalAddresses({ bind: '0.0.0.0', advertised: 'nat.example' }), /advertised/);
});

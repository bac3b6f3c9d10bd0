import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallIdGenerator, callIdTime, isCallId } from '../../src/calls/callId.js';
import { chinaDay, formatChinaTime } from '../../src/contract/chinaTime.js';

test('CallIds have the spec form and sort by creation time', () => {
  const gen = new CallIdGenerator(42);
  const t = Date.UTC(2026, 10, 25, 12, 0, 0);
  const a = gen.next(t);
  const b = gen.next(t + 1);
  assert.ok(isCallId(a), a);
  assert.ok(a < b);
  assert.equal(callIdTime(a), t);
  assert.equal(a.slice(13, 18), '00042', 'the node id is part of the id');
});

test('one generator never repeats within a burst, two nodes never collide', () => {
  const g1 = new CallIdGenerator(1);
  const g2 = new CallIdGenerator(2);
  const seen = new Set<string>();
  for (let i = 0; i < 50_000; i++) {
    seen.add(g1.next(1_800_000_000_000));
    seen.add(g2.next(1_800_000_000_000));
  }
  assert.equal(seen.size, 100_000);
});

test('wire times are China time, yyyy-MM-dd HH:mm:ss', () => {
  const t = Date.UTC(2024, 4, 1, 2, 0, 5);
  assert.equal(formatChinaTime(t), '2024-05-01 10:00:05');
  assert.equal(
    chinaDay(Date.UTC(2024, 4, 1, 16, 30)),
    '2024-05-02',
    'after 16:00 UTC it is the next day in China',
  );
});

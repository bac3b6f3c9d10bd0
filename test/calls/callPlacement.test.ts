/**
 * Least-loaded placement: each call goes to the node with the most free room, equal nodes take
 * turns, a node without room gets nothing, and calls no node has room for are left for later.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { placeLeastLoaded } from '../../src/calls/callPlacement.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);
const count = (p: { node: string }[]) => {
  const m: Record<string, number> = {};
  for (const x of p) m[x.node] = (m[x.node] ?? 0) + 1;
  return m;
};

test('calls go to the least-loaded node until it is as busy as the others, then the nodes take turns', () => {
  const p = placeLeastLoaded(ids(10), [
    { queue: 'busy', free: 4 },
    { queue: 'idle', free: 10 },
  ]);
  assert.deepEqual(
    p.slice(0, 6).map((x) => x.node),
    ['idle', 'idle', 'idle', 'idle', 'idle', 'idle'],
  );
  assert.deepEqual(
    p.slice(6).map((x) => x.node),
    ['busy', 'idle', 'busy', 'idle'],
  );
  assert.deepEqual(
    p.map((x) => x.callId),
    ids(10),
    'in queue order',
  );
});

test('a full node gets nothing, and calls beyond every node’s room are left in the queue', () => {
  const p = placeLeastLoaded(ids(5), [
    { queue: 'full', free: 0 },
    { queue: 'over', free: -3 },
    { queue: 'some', free: 2 },
  ]);
  assert.deepEqual(count(p), { some: 2 });
  assert.deepEqual(placeLeastLoaded(ids(3), []), []);
});

/**
 * A media node's dialer over the shared queue (issue 15), against an in-memory queue: it claims
 * only about what it can start soon (the rest of the backlog stays for other nodes), starts a
 * trunk's calls in claim order from one loop, looks again at a busy trunk as soon as one of its
 * calls ends, hangs up at once a call whose lease was not renewed, fences itself when it cannot
 * renew, and stops without waiting out a renewal period.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QueueDialer, type QueueStart, type SharedCallQueue } from '../../src/calls/queueDialer.js';
import { systemClock } from '../../src/clock/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { CallRecord, TrunkRecord } from '../../src/store/records.js';
import { aCall } from '../store/contract/callContract.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class FakeQueue implements SharedCallQueue {
  queued: CallRecord[];
  claimed = new Set<string>();
  started: string[] = [];
  inProgress = new Set<string>();
  startsInFlight = 0;
  maxStartsInFlight = 0;
  renewFails = false;
  /** Ids renew() no longer returns (another node took them). */
  taken = new Set<string>();
  constructor(n: number) {
    this.queued = Array.from({ length: n }, (_, i) => aCall(1, i + 1));
  }
  async claim(limit: number): Promise<CallRecord[]> {
    const out = this.queued.splice(0, limit);
    for (const c of out) this.claimed.add(c.callId);
    return out;
  }
  async release(callId: string): Promise<void> {
    this.claimed.delete(callId);
  }
  async start(callId: string, trunk: { cps: number; maxCalls: number }): Promise<QueueStart> {
    this.startsInFlight++;
    this.maxStartsInFlight = Math.max(this.maxStartsInFlight, this.startsInFlight);
    await sleep(2);
    this.startsInFlight--;
    if (this.inProgress.size >= trunk.maxCalls) return { started: false, reason: 'busy' };
    this.started.push(callId);
    this.inProgress.add(callId);
    return { started: true, at: Date.now() };
  }
  async renew(callIds: readonly string[]): Promise<string[]> {
    if (this.renewFails) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    return callIds.filter((id) => !this.taken.has(id));
  }
}

const trunk = { name: 'carrier', cps: 1000, maxCalls: 1000, isDefault: true } as unknown as TrunkRecord;

function dialer(
  queue: FakeQueue,
  o: {
    trunk?: TrunkRecord;
    claimAhead?: number;
    holdMs?: number;
    pollMs?: number;
    /** How long a placed call lasts, unless hung up. */
    callMs?: number;
  } = {},
) {
  const hangUps = new Map<string, () => void>();
  const lost: { id: string; at: number }[] = [];
  const d = new QueueDialer({
    queue,
    trunkFor: () => o.trunk ?? trunk,
    prepare: async () => undefined,
    place: (call) =>
      new Promise<void>((resolve) => {
        const end = () => {
          clearTimeout(timer);
          queue.inProgress.delete(call.callId);
          resolve();
        };
        const timer = setTimeout(end, o.callMs ?? 50);
        hangUps.set(call.callId, end);
      }),
    fail: () => undefined,
    settled: async () => undefined,
    capacity: 1000,
    claimAhead: () => o.claimAhead ?? 1000,
    holdMs: o.holdMs ?? 3000,
    pollMs: o.pollMs ?? 50,
    lost: (id) => {
      lost.push({ id, at: performance.now() });
      hangUps.get(id)?.();
    },
    clock: systemClock,
    log: silentLogger(),
  });
  /** Ends every call in progress now (a test done with them need not wait out `callMs`). */
  const hangUpAll = () => {
    for (const end of hangUps.values()) end();
  };
  return { d, lost, hangUpAll };
}

test('a trunk’s calls start in claim order, from one loop', async () => {
  const queue = new FakeQueue(200);
  const { d, hangUpAll } = dialer(queue, { claimAhead: 10, callMs: 10_000 });
  d.start();
  try {
    await sleep(300);
    assert.ok(queue.maxStartsInFlight === 1, `starts of one trunk overlapped: ${queue.maxStartsInFlight}`);
    assert.deepEqual(
      queue.started,
      [...queue.started].sort(),
      'calls started in the order they were claimed (oldest first)',
    );
  } finally {
    const stopped = d.stop();
    hangUpAll();
    await stopped;
  }
});

test('a busy trunk: no more than claimAhead calls held; the next starts as soon as a call of this node ends', async () => {
  const queue = new FakeQueue(100);
  const small = { ...trunk, maxCalls: 1 } as TrunkRecord;
  // pollMs long: only the local wake-up can explain a quick next start.
  const { d } = dialer(queue, { trunk: small, claimAhead: 5, pollMs: 5000, callMs: 150 });
  d.start();
  try {
    await sleep(1000);
    assert.ok(queue.claimed.size <= 5 + queue.started.length, `claimed ${queue.claimed.size}`);
    assert.ok(queue.queued.length >= 100 - 5 - queue.started.length, 'the backlog stays for other nodes');
    // Calls of 150 ms back to back: about six in a second, not one per 5 s poll.
    assert.ok(queue.started.length >= 4, `started ${queue.started.length} calls in 1 s`);
    assert.equal(queue.maxStartsInFlight, 1);
  } finally {
    await d.stop();
  }
});

test('a call whose lease was not renewed is hung up at once', async () => {
  const queue = new FakeQueue(2);
  const { d, lost } = dialer(queue, { holdMs: 600, callMs: 1500 });
  d.start();
  try {
    await sleep(100);
    assert.equal(queue.started.length, 2);
    const [first] = queue.started;
    queue.taken.add(first!);
    const t0 = performance.now();
    await sleep(700);
    assert.deepEqual(
      lost.map((l) => l.id),
      [first],
    );
    assert.ok(lost[0]!.at - t0 < 400, 'hung up within a renewal period');
    assert.equal(d.stats.placed, 1, 'the other call goes on');
  } finally {
    await d.stop();
  }
});

test('no renewal for too long: the node fences itself and hangs up its calls before the lease lapses', async () => {
  const queue = new FakeQueue(3);
  const { d, lost } = dialer(queue, { holdMs: 1500, callMs: 20_000 });
  d.start();
  try {
    await sleep(100);
    assert.equal(queue.started.length, 3);
    queue.renewFails = true;
    const t0 = performance.now();
    while (lost.length < 3 && performance.now() - t0 < 3000) await sleep(20);
    assert.equal(lost.length, 3, 'every call was hung up');
    assert.ok(d.fenced);
    assert.ok(
      lost.every((l) => l.at - t0 < 1500),
      'before the lease (1.5 s) could lapse',
    );
  } finally {
    queue.renewFails = false;
    await d.stop();
  }
});

test('stop does not wait out a renewal period', async () => {
  const queue = new FakeQueue(0);
  const { d } = dialer(queue, { holdMs: 30_000 });
  d.start();
  await sleep(100);
  const t0 = performance.now();
  await d.stop();
  assert.ok(performance.now() - t0 < 1000, `stopped in ${Math.round(performance.now() - t0)} ms`);
});

/** A dialer with nothing to place, renewing `others` besides (a media node's inbound calls). */
function idleDialer(
  queue: FakeQueue,
  others: Set<string>,
  o: { keepRenewing?: () => boolean; lost?: (id: string) => void } = {},
) {
  const renewed: string[][] = [];
  const d = new QueueDialer({
    queue,
    trunkFor: () => trunk,
    prepare: async () => undefined,
    place: async () => undefined,
    fail: () => undefined,
    settled: async () => undefined,
    capacity: 10,
    claimAhead: () => 10,
    holdMs: 300,
    pollMs: 50,
    renew: async (ids) => {
      renewed.push([...ids]);
      return ids.filter((id) => !queue.taken.has(id));
    },
    alsoRenew: () => others,
    ...(o.keepRenewing && { keepRenewing: o.keepRenewing }),
    lost: o.lost ?? (() => undefined),
    clock: systemClock,
    log: silentLogger(),
  });
  return { d, renewed };
}

test('other calls (a media node’s inbound calls) keep their leases after the dialer stops, and are hung up when their lease is not kept', async () => {
  const queue = new FakeQueue(0);
  const others = new Set(['in-1', 'in-2']);
  const lostIds: string[] = [];
  const { d, renewed } = idleDialer(queue, others, { lost: (id) => lostIds.push(id) });
  d.start();
  await sleep(50);
  const stopped = d.stop();
  // Stopped (draining), the inbound calls go on: their leases are still renewed.
  await sleep(400);
  renewed.length = 0;
  await sleep(400);
  assert.ok(
    renewed.some((ids) => ids.includes('in-1') && ids.includes('in-2')),
    `renewed after stop: ${JSON.stringify(renewed)}`,
  );
  // One is taken by another node: it is hung up, once.
  queue.taken.add('in-2');
  await sleep(400);
  assert.deepEqual(lostIds, ['in-2']);
  // Both end: the renewal loop ends, and stop() resolves.
  others.clear();
  await stopped;
});

test('keepRenewing holds renewal open after stop until an inbound call being looked up is written and ends', async () => {
  const queue = new FakeQueue(0);
  const others = new Set<string>();
  let lookingUp = true;
  const { d, renewed } = idleDialer(queue, others, { keepRenewing: () => lookingUp });
  d.start();
  const stopped = d.stop();
  await sleep(300);
  // The INVITE's row is written after the stop: its lease is renewed.
  others.add('in-late');
  lookingUp = false;
  await sleep(400);
  assert.ok(
    renewed.some((ids) => ids.includes('in-late')),
    `renewed: ${JSON.stringify(renewed)}`,
  );
  others.clear();
  await stopped;
});

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ManualClock } from '../../src/clock/manualClock.js';
import { WorkerPool, type WorkerPoolOptions } from '../../src/workers/workerPool.js';
import type { PoolMessage } from '../../src/workers/workerProtocol.js';
import type { ScriptedRequest, ScriptedResult, ScriptedStart } from '../fixtures/workers/scriptedWorker.js';

const SCRIPT = new URL('../fixtures/workers/scriptedWorker.js', import.meta.url);

type Pool = WorkerPool<ScriptedRequest, ScriptedResult, string>;

/** Pools made by a test, closed after it whatever happened. */
const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

/** A pool of scripted workers that records the threads it starts and the messages it posts. */
function scriptedPool(
  options: Partial<WorkerPoolOptions<ScriptedRequest>> & { start?: ScriptedStart | ScriptedStart[] } = {},
) {
  const started: Worker[] = [];
  const posted: PoolMessage<ScriptedRequest>[] = [];
  const starts = [options.start ?? 'ready'].flat();
  const pool: Pool = new WorkerPool({
    name: 'test',
    timeoutMs: 0,
    ...options,
    spawn: () => {
      const start = starts[Math.min(started.length, starts.length - 1)];
      const worker = new Worker(SCRIPT, { workerData: { start } });
      started.push(worker);
      return {
        worker,
        post(message, transfer) {
          posted.push(message);
          worker.postMessage(message, transfer);
        },
      };
    },
  });
  pools.push(pool);
  return { pool, started, posted };
}

/** Waits (in real time: worker threads run on their own) until `ready()` holds. */
async function until(ready: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !ready(); waited += 5) {
    if (waited > 10_000) assert.fail(`gave up waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('WorkerPool', () => {
  test('a request goes to the least busy worker', async () => {
    const { pool } = scriptedPool({ size: 2 });
    await pool.ready();
    const first = await pool.run({ op: 'threadId' });
    const abort = new AbortController();
    const held = pool.run({ op: 'hang' }, { signal: abort.signal });
    const other = await pool.run({ op: 'threadId' });
    assert.notEqual(other, first, 'the idle worker takes it, not the one holding a request');
    assert.deepEqual(pool.stats, { workers: 2, inFlight: 1, respawns: 0 });
    abort.abort();
    await assert.rejects(held, { name: 'AbortError' });
  });

  test('requests sent while a worker starts are delivered once it is ready', async () => {
    const { pool } = scriptedPool();
    assert.equal(await pool.run({ op: 'echo', value: 'early' }), 'early');
  });

  test('streamed chunks reach the caller in order before the answer', async () => {
    const { pool } = scriptedPool();
    const chunks: string[] = [];
    const n = await pool.run({ op: 'chunks', parts: ['a', 'b', 'c'] }, { onChunk: (c) => chunks.push(c) });
    assert.equal(n, 3);
    assert.deepEqual(chunks, ['a', 'b', 'c']);
  });

  test("a worker's error answers only its own request", async () => {
    const { pool } = scriptedPool();
    await assert.rejects(pool.run({ op: 'fail', message: 'bad grammar' }), /^Error: bad grammar$/);
    assert.equal(await pool.run({ op: 'echo', value: 'still here' }), 'still here');
    assert.equal(pool.stats.respawns, 0);
  });

  test('a worker killed mid-request fails that request with a clear error, and the next request succeeds', async () => {
    const { pool, started } = scriptedPool();
    await pool.ready();
    const killed = pool.run({ op: 'hang' });
    await started[0]!.terminate();
    await assert.rejects(killed, /^Error: test worker exited with code 1$/);
    assert.equal(await pool.run({ op: 'echo', value: 'next' }), 'next');
    assert.deepEqual(pool.stats, { workers: 1, inFlight: 0, respawns: 1 });
  });

  test('a worker that exits fails every request it held, naming its exit code', async () => {
    const { pool } = scriptedPool();
    await pool.ready();
    const held = pool.run({ op: 'hang' });
    await assert.rejects(pool.run({ op: 'exit', code: 7 }), /test worker exited with code 7/);
    await assert.rejects(held, /test worker exited with code 7/);
    assert.equal(await pool.run({ op: 'echo', value: 'next' }), 'next');
  });

  test('an uncaught exception in a worker is named in the failure of its requests', async () => {
    const { pool } = scriptedPool();
    await assert.rejects(
      pool.run({ op: 'throw', message: 'boom' }),
      /test worker exited with code 1 \(boom\)/,
    );
    assert.equal(await pool.run({ op: 'echo', value: 'next' }), 'next');
    assert.equal(pool.stats.respawns, 1);
  });

  test('a request that outlives its timeout fails naming the pool and the timeout, and its worker is replaced', async () => {
    const clock = new ManualClock();
    const { pool, started } = scriptedPool({ clock, timeoutMs: 1000 });
    await pool.ready();
    const stuck = pool.run({ op: 'hang' });
    clock.advance(999);
    assert.equal(pool.stats.inFlight, 1);
    clock.advance(1);
    await assert.rejects(stuck, { name: 'TimeoutError', message: 'test request timed out after 1000 ms' });
    await once(started[0]!, 'exit');
    assert.equal(await pool.run({ op: 'echo', value: 'next' }), 'next');
    assert.deepEqual(pool.stats, { workers: 1, inFlight: 0, respawns: 1 });
    assert.equal(clock.pendingTimers, 0);
  });

  test('a request that times out waiting behind a busy one leaves the worker in service', async () => {
    const clock = new ManualClock();
    const { pool, posted } = scriptedPool({ clock });
    await pool.ready();
    const busy = pool.run({ op: 'block', ms: 300 });
    const queued = pool.run({ op: 'echo', value: 'late' }, { timeoutMs: 100 });
    clock.advance(100);
    await assert.rejects(queued, /test request timed out after 100 ms/);
    assert.equal(await busy, 300);
    assert.equal(pool.stats.respawns, 0);
    assert.deepEqual(posted.at(-1), { kind: 'cancel', id: 2 });
  });

  test('an aborted request rejects with an AbortError and its worker is told to cancel it', async () => {
    const { pool, posted } = scriptedPool();
    await pool.ready();
    const abort = new AbortController();
    const request = pool.run({ op: 'hang' }, { signal: abort.signal });
    abort.abort();
    await assert.rejects(request, { name: 'AbortError', message: 'test request aborted' });
    assert.deepEqual(posted.at(-1), { kind: 'cancel', id: 1 });
    assert.equal(pool.stats.inFlight, 0);
    await assert.rejects(pool.run({ op: 'echo', value: 'x' }, { signal: abort.signal }), {
      name: 'AbortError',
    });
    assert.equal(await pool.run({ op: 'echo', value: 'next' }), 'next');
  });

  test('with perWorker 1, a request aborted while it waits for a busy worker never reaches a thread', async () => {
    const { pool, posted } = scriptedPool({ perWorker: 1 });
    await pool.ready();
    const busy = pool.run({ op: 'block', ms: 200 });
    const abort = new AbortController();
    const dropped = pool.run({ op: 'echo', value: 'dropped' }, { signal: abort.signal });
    const next = pool.run({ op: 'echo', value: 'next' });
    assert.equal(pool.stats.inFlight, 3);
    abort.abort();
    await assert.rejects(dropped, { name: 'AbortError' });
    assert.equal(await busy, 200);
    assert.equal(await next, 'next');
    const requests = posted.filter((m) => m.kind === 'request').map((m) => m.payload);
    assert.deepEqual(requests, [
      { op: 'block', ms: 200 },
      { op: 'echo', value: 'next' },
    ]);
    assert.ok(!posted.some((m) => m.kind === 'cancel'), 'nothing to cancel: it was never posted');
    assert.equal(pool.stats.inFlight, 0);
  });

  test('load (metrics) tells busy threads, requests running and requests waiting apart', async () => {
    const { pool } = scriptedPool({ size: 2, perWorker: 1 });
    await pool.ready();
    assert.deepEqual(pool.load, { workers: 2, busy: 0, running: 0, queued: 0, respawns: 0 });
    const one = pool.run({ op: 'block', ms: 150 });
    assert.deepEqual(pool.load, { workers: 2, busy: 1, running: 1, queued: 0, respawns: 0 });
    const work = [one, pool.run({ op: 'block', ms: 150 }), pool.run({ op: 'echo', value: 'a' })];
    work.push(pool.run({ op: 'echo', value: 'b' }));
    assert.deepEqual(pool.load, { workers: 2, busy: 2, running: 2, queued: 2, respawns: 0 });
    await Promise.all(work);
    assert.deepEqual(pool.load, { workers: 2, busy: 0, running: 0, queued: 0, respawns: 0 });
  });

  test('with perWorker 1, a waiting request goes to the first worker free, not behind a long one', async () => {
    const { pool } = scriptedPool({ size: 2, perWorker: 1 });
    await pool.ready();
    const long = pool.run({ op: 'block', ms: 1500 });
    const short = pool.run({ op: 'block', ms: 50 });
    const waiting = pool.run({ op: 'threadId' }); // both busy: waits in the pool
    const shortThread = pool.run({ op: 'threadId' });
    const started = performance.now();
    await short;
    const [a, b] = await Promise.all([waiting, shortThread]);
    assert.ok(performance.now() - started < 1000, 'served by the free worker while the long one ran');
    assert.equal(a, b);
    await long;
  });

  test('with perWorker 1, requests waiting in the pool time out and are rejected at close', async () => {
    const clock = new ManualClock();
    const { pool, posted } = scriptedPool({ clock, perWorker: 1 });
    await pool.ready();
    const held = pool.run({ op: 'hang' });
    const late = pool.run({ op: 'echo', value: 'late' }, { timeoutMs: 100 });
    const left = pool.run({ op: 'echo', value: 'left' });
    clock.advance(100);
    await assert.rejects(late, /test request timed out after 100 ms/);
    assert.equal(pool.stats.respawns, 0, 'a request that never reached a thread blames none');
    await Promise.all([
      assert.rejects(held, /test pool is closed/),
      assert.rejects(left, /test pool is closed/),
      pool.close(),
    ]);
    assert.equal(posted.filter((m) => m.kind === 'request').length, 1);
    assert.equal(pool.stats.inFlight, 0);
  });

  test('close rejects every pending request and leaves no worker or timer behind', async () => {
    const clock = new ManualClock();
    const { pool, started } = scriptedPool({ clock, size: 2, timeoutMs: 5000 });
    const waiting = pool.run({ op: 'hang' }); // sent before the workers are ready
    await pool.ready();
    const held = pool.run({ op: 'hang' });
    await Promise.all([
      assert.rejects(waiting, /^Error: test pool is closed$/),
      assert.rejects(held, /^Error: test pool is closed$/),
      pool.close(),
    ]);
    await assert.rejects(pool.run({ op: 'echo', value: 'x' }), /test pool is closed/);
    assert.deepEqual(pool.stats, { workers: 0, inFlight: 0, respawns: 0 });
    assert.equal(clock.pendingTimers, 0);
    assert.deepEqual(
      started.map((w) => w.threadId),
      [-1, -1],
      'every thread has exited',
    );
  });

  test('a worker that reports a failed start fails ready() with its reason', async () => {
    const { pool } = scriptedPool({ start: ['failed', 'ready'] });
    await assert.rejects(pool.ready(), /^Error: test worker failed to start: no model$/);
    await until(() => pool.stats.respawns === 1, 'the worker is replaced');
    assert.equal(await pool.run({ op: 'echo', value: 'recovered' }), 'recovered');
  });

  test('a worker that dies at start-up is retried with a growing delay, and requests meanwhile fail with the reason', async () => {
    const clock = new ManualClock();
    const backoff = { firstMs: 100, maxMs: 150 };
    const { pool } = scriptedPool({ clock, respawnBackoff: backoff, start: 'exit' });
    await assert.rejects(pool.ready(), /^Error: test worker exited with code 3$/);
    // The first death is replaced at once; the second waits 100 ms.
    await until(() => pool.stats.respawns === 1 && clock.pendingTimers === 1, 'the replacement dies too');
    assert.equal(pool.stats.workers, 0);
    await assert.rejects(pool.run({ op: 'echo', value: 'x' }), /test worker exited with code 3/);
    clock.advance(99);
    assert.equal(pool.stats.respawns, 1);
    clock.advance(1);
    assert.equal(pool.stats.respawns, 2);
    // Then 150 ms (100 doubled, capped).
    await until(() => clock.pendingTimers === 1, 'the second replacement dies');
    clock.advance(149);
    assert.equal(pool.stats.respawns, 2);
    clock.advance(1);
    assert.equal(pool.stats.respawns, 3);
    await pool.close();
    assert.equal(clock.pendingTimers, 0);
  });
});

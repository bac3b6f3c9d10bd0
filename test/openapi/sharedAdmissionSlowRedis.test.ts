/**
 * Admission on two API nodes when their real redis-server is connected but does not answer
 * (`CLIENT PAUSE … ALL`, what a long script, a fork stall or a paused VM look like to a client):
 * every request is still answered within a bound (at most one command timeout), the requests
 * waiting for Redis stay bounded, the stall is logged once, and a nonce one node admitted alone
 * during the stall is refused by the other node once Redis answers again.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { RedisConnection } from '../../src/cluster/redisConnection.js';
import { createLogger } from '../../src/observability/logger.js';
import type { AdmissionRequest, AdmissionVerdict } from '../../src/openapi/admission.js';
import { ReplayGuard } from '../../src/openapi/replayGuard.js';
import { SharedAdmission } from '../../src/openapi/sharedAdmission.js';
import { MAX_WAITING } from '../../src/openapi/sharedThrottle.js';
import { redisForFile } from '../helpers/redis.js';

const redis = redisForFile();

interface Node {
  admission: SharedAdmission;
  connection: RedisConnection;
  logged: () => string;
}

async function node(): Promise<Node> {
  const destination = new PassThrough();
  let logged = '';
  destination.on('data', (d) => {
    logged += d;
  });
  const connection = await redis.connection({ log: createLogger({ destination, format: 'json' }) });
  const local = new ReplayGuard({ clockSkewSeconds: 900, nonceTtlSeconds: 900 });
  const admission = new SharedAdmission({ redis: connection, local, nonceTtlSeconds: 900, now: Date.now });
  return { admission, connection, logged: () => logged };
}

let seq = 0;
const fresh = () => `slow-${process.pid}-${++seq}`;

function request(accountId: number, nonce: string, now: number, rate: number): AdmissionRequest {
  return {
    accessKeyId: 'AK1',
    nonce,
    accountId,
    accountRate: rate,
    action: 'SmartCall',
    apiRate: 1_000_000,
    now,
  };
}

async function timed(n: Node, r: AdmissionRequest): Promise<{ v: AdmissionVerdict; ms: number }> {
  const t0 = performance.now();
  const v = await n.admission.admit(r);
  return { v, ms: performance.now() - t0 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await sleep(20);
  }
}

const PAUSE_MS = 2500;

test('while Redis does not answer, requests are answered within a bound from a bounded queue; a nonce admitted alone is refused by the other node afterwards', async (t) => {
  const [a, b] = [await node(), await node()];
  const pauser = await redis.connection();
  const now = 2_000_000_000_000;
  assert.equal((await a.admission.admit(request(930_001, fresh(), now, 1_000_000))).pass, true);
  assert.equal((await b.admission.admit(request(930_001, fresh(), now, 1_000_000))).pass, true);

  assert.equal(await pauser.client.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL'), 'OK');
  const pausedAt = performance.now();
  const answers: Promise<{ v: AdmissionVerdict; ms: number; sentAt: number }>[] = [];
  let mostWaiting = 0;
  let during: { nonce: string; answer: Promise<{ v: AdmissionVerdict; ms: number }> } | undefined;
  // A burst in one turn: at most MAX_WAITING wait for Redis, the rest are answered at once.
  for (let i = 0; i < 3000; i++)
    answers.push(timed(a, request(930_002, fresh(), now, 1_000_000)).then((x) => ({ ...x, sentAt: -1 })));
  assert.equal(a.admission.waiting, MAX_WAITING, 'the queue is capped');
  // Then ~1.6 s of 100 requests every 10 ms (10k/s), well past the command timeout (500 ms).
  while (performance.now() - pausedAt < 1600) {
    const sentAt = performance.now() - pausedAt;
    for (let i = 0; i < 100; i++)
      answers.push(timed(a, request(930_002, fresh(), now, 1_000_000)).then((x) => ({ ...x, sentAt })));
    if (during === undefined && sentAt > 300) {
      const nonce = fresh();
      during = { nonce, answer: timed(a, request(930_003, nonce, now, 1_000_000)) };
    }
    mostWaiting = Math.max(mostWaiting, a.admission.waiting);
    await sleep(10);
  }
  const stalledFor = performance.now() - pausedAt;
  const all = await Promise.all(answers);
  assert.ok(stalledFor < PAUSE_MS, `the load ran while Redis was paused (${Math.round(stalledFor)} ms)`);
  assert.ok(
    all.every((x) => x.v.pass),
    'every request admitted (the account rate is high)',
  );
  const slowest = Math.max(...all.map((x) => x.ms));
  assert.ok(
    slowest < 1000,
    `every request answered within one command timeout and change (${Math.round(slowest)} ms)`,
  );
  // Of the steady stream, only the requests of the calls out when Redis is tried again wait.
  const stream = all.filter((x) => x.sentAt >= 0);
  const late = stream.filter((x) => x.ms > 150).length;
  const groups = new Map<number, number>();
  for (const x of all) if (x.ms > 150) groups.set(Math.round(x.sentAt), Math.round(x.ms));
  t.diagnostic(JSON.stringify([...groups]));
  t.diagnostic(
    `${all.length} requests: slowest ${Math.round(slowest)} ms, ${late} of the stream over 150 ms, at most ${mostWaiting} waiting`,
  );
  assert.ok(
    late <= stream.length / 10,
    `most requests answered at once (${late} of ${stream.length} took > 150 ms)`,
  );
  // Queued, plus at most 4 calls out of 256 requests each.
  assert.ok(mostWaiting <= MAX_WAITING + 4 * 256, `requests waiting for Redis stay bounded (${mostWaiting})`);
  assert.ok(during);
  const d = await during.answer;
  assert.deepEqual(d.v, { pass: true });
  assert.ok(d.ms < 150, `the nonce was admitted by node A alone (${Math.round(d.ms)} ms)`);
  assert.equal(
    (a.logged().match(/redis not answering/g) ?? []).length,
    1,
    `the stall logged once:\n${a.logged()}`,
  );

  // Redis answers again: A writes the nonce it admitted alone, and B refuses its replay.
  await until(
    async () => (await b.connection.client.exists(`test:nonce:AK1:${during!.nonce}`).catch(() => 0)) === 1,
    'node A to write the nonce it admitted alone',
  );
  assert.deepEqual(await b.admission.admit(request(930_003, during.nonce, now, 1_000_000)), {
    pass: false,
    limit: 'nonce',
  });
  await until(() => a.logged().includes('redis answering again'), 'node A to log that Redis answers again');
  // Shared again: a nonce admitted on B is refused on A.
  const after = fresh();
  assert.deepEqual(await b.admission.admit(request(930_004, after, now, 1_000_000)), { pass: true });
  assert.deepEqual(await a.admission.admit(request(930_004, after, now, 1_000_000)), {
    pass: false,
    limit: 'nonce',
  });
});

/**
 * Schedulers (issue 15, `serve --role scheduler`) through the real CLI: a private PostgreSQL and
 * redis-server, the virtual phone network, an API node, two media nodes of different capacity and
 * two schedulers, each its own process (test/helpers/cluster.ts). One scheduler is active, the
 * other stands by (`admin nodes` says which). Calls are placed by load: the roomier media node takes
 * the oldest calls until it is as loaded as the other. The active scheduler is SIGKILLed mid-run:
 * the standby logs `scheduler active` within a few seconds and places the rest, and every call ends
 * with one terminal state and one VoiceReport, none placed twice.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeEnv, type Running, smartcallAsync } from '../cli/cliHarness.js';
import { PERSONA_NUMBERS, personasYaml, queueName, startCluster, until } from '../helpers/cluster.js';

const HOLDER = PERSONA_NUMBERS.holder;

/** `admin nodes --json` through the real CLI: role and state of each live node. */
async function adminNodes(redisUrl: string): Promise<{ role: string; state?: string; queue?: string }[]> {
  const r = await smartcallAsync(['admin', 'nodes', '--redis', redisUrl, '--json'], { env: nodeEnv() });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { role: string; state?: string; queue?: string }[];
}

const waitFor = (node: Running, text: string, ms: number) =>
  until(`"${text}" from a scheduler`, ms, async () => (node.output().includes(text) ? true : undefined));

test('two schedulers, one active: calls placed by load, the active one SIGKILLed mid-run, the standby takes over, no call placed twice', async () => {
  const c = await startCluster({ personas: personasYaml('holder'), trunk: { cps: 5, maxCalls: 40 } });
  c.callbacks.script = () => ({ action: 'donothing' });
  const { admin } = c;
  try {
    const [api, small, large, first] = await Promise.all([
      c.node('api', 'api'),
      c.node('media', 'small', { nodeCapacity: 6 }),
      c.node('media', 'large', { nodeCapacity: 14 }),
      c.node('scheduler', 'sched1'),
    ]);
    await waitFor(first, '"scheduler active"', 10_000);
    const second = await c.node('scheduler', 'sched2');
    await waitFor(second, '"standing by: another scheduler is active"', 10_000);
    const [smallQ, largeQ, firstQ, secondQ] = [small, large, first, second].map(queueName);

    // Both schedulers and both media nodes (taking calls) are in the registry.
    const nodes = await until('the registry', 15_000, async () => {
      const n = await adminNodes(c.redis!.url);
      const states = n.filter((x) => x.role === 'scheduler').map((x) => x.state);
      const media = n.filter((x) => x.role === 'media' && x.queue);
      return states.includes('active') && states.includes('standby') && media.length === 2 ? n : undefined;
    });
    assert.equal(nodes.filter((x) => x.role === 'scheduler').length, 2);
    const beacon = async () =>
      (
        await admin.pool.query<{ node: string }>(
          'SELECT node FROM scheduler_beacon WHERE until_ms >= (extract(epoch FROM clock_timestamp()) * 1000)::bigint',
        )
      ).rows[0]?.node;
    await until('the active scheduler placing', 10_000, async () =>
      (await beacon()) === firstQ ? true : undefined,
    );

    // By load: the large node (14) takes the oldest calls until its room equals the small one's (6).
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await c.smartCall(api, HOLDER, `load-${i}`));
    const startsOf = async () =>
      (
        await admin.pool.query<{ call_id: string; node: string }>(
          "SELECT call_id, node FROM trunk_starts WHERE trunk = 'phonenet' ORDER BY at",
        )
      ).rows;
    const phase1 = await until('12 starts', 20_000, async () => {
      const s = await startsOf();
      return s.length >= 12 ? s : undefined;
    });
    const nodeOf = new Map(phase1.map((s) => [s.call_id, s.node]));
    assert.deepEqual(
      ids.slice(0, 8).map((id) => nodeOf.get(id)),
      Array(8).fill(largeQ),
      'the 8 oldest calls went to the node with the most room',
    );
    assert.ok(
      ids.slice(8).some((id) => nodeOf.get(id) === smallQ),
      'then the small node got its share',
    );

    // The active scheduler dies while calls are still coming in.
    for (let i = 0; i < 4; i++) ids.push(await c.smartCall(api, HOLDER, `failover-${i}`));
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    for (let i = 4; i < 10; i++) ids.push(await c.smartCall(api, HOLDER, `failover-${i}`));
    await waitFor(second, '"scheduler active"', 5000);
    const takeover = (Date.now() - killedAt) / 1000;
    await until('the standby placing', 5000, async () => ((await beacon()) === secondQ ? true : undefined));

    // Every call: one start (none placed twice), one terminal state, one VoiceReport.
    const starts = await until('22 starts', 30_000, async () => {
      const s = await startsOf();
      return s.length >= ids.length ? s : undefined;
    });
    assert.deepEqual(new Set(starts.map((s) => s.call_id)), new Set(ids));
    const finals = await until('every call final', 30_000, async () => {
      const calls = await Promise.all(ids.map((id) => admin.calls.find(id)));
      return calls.every((x) => x?.state === 'ended' || x?.state === 'failed') ? calls : undefined;
    });
    // Read again once every call has ended (a second start would come late, after a lapse): one
    // start per call of this test, none twice.
    const once = (
      await admin.pool.query<{ total: number; calls: number }>(
        `SELECT count(*)::int AS total, count(DISTINCT call_id)::int AS calls FROM trunk_starts
         WHERE trunk = 'phonenet' AND call_id = ANY($1::text[])`,
        [ids],
      )
    ).rows[0]!;
    assert.equal(once.total, once.calls, 'no call started twice');
    assert.equal(once.calls, ids.length, 'every call started');
    assert.ok(
      finals.every((x) => x?.state === 'ended' && x.answerAt),
      'every call was answered and ended',
    );
    for (const id of ids) {
      const reports = await until(`VoiceReport of ${id}`, 10_000, async () => {
        const r = (await admin.receipts.listByCall(id)).filter((x) => x.type === 'VoiceReport');
        return r.length > 0 ? r : undefined;
      });
      assert.equal(reports.length, 1, `exactly one VoiceReport for ${id}`);
    }
    const phase2 = starts.filter((s) => ids.slice(12).includes(s.call_id));
    console.log(
      JSON.stringify({
        takeoverSeconds: takeover,
        phase1: {
          large: phase1.filter((s) => s.node === largeQ).length,
          small: phase1.filter((s) => s.node === smallQ).length,
        },
        phase2: {
          large: phase2.filter((s) => s.node === largeQ).length,
          small: phase2.filter((s) => s.node === smallQ).length,
        },
      }),
    );
    assert.ok(takeover < 5, `the standby took over within 5 s (${takeover} s)`);
    assert.equal(await second.stop(), 0, 'SIGTERM stops the scheduler cleanly');
    assert.match(second.output(), /"the scheduler lock is released"/);
    await Promise.all([small.stop(), large.stop(), api.stop()]);
  } finally {
    await c.close();
  }
});

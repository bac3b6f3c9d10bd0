/**
 * Media nodes on PostgreSQL (issue 15, `serve --role media`) through the real CLI: a private
 * PostgreSQL (test/helpers/postgres.ts), the virtual phone network in-process (its Carrier on a free
 * loopback port, the trunk in PostgreSQL pointing at it), a callback server and a receipt receiver on
 * 127.0.0.1, and smartcall processes for the roles. A SmartCall signed with the real Alibaba client
 * reaches an API node; a media node claims it from the shared queue, the persona converses with the
 * callback, and the call's final record and VoiceReport land in PostgreSQL and at the receiver.
 * Two media nodes share 20 calls (none placed twice, the trunk's 5 CPS held across both); a drained
 * node gives its held calls back to the other; a SIGKILLed node's calls are finalised by the other
 * (one terminal state and one VoiceReport each) once its lease lapses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  PERSONA_NUMBERS,
  personasYaml,
  queueName,
  startCluster,
  type TestCluster,
  until,
} from '../helpers/cluster.js';

const { talker: TALKER, holder: HOLDER } = PERSONA_NUMBERS;

/**
 * A cluster of its own for one test (PostgreSQL, no Redis): the tenant, the trunk to the phone
 * network (cps, maxCalls), a callback that hangs up once the persona has spoken.
 */
async function cluster(trunk: { cps: number; maxCalls: number }): Promise<TestCluster> {
  const c = await startCluster({
    personas: personasYaml('talker', 'holder'),
    trunk,
    leaseSeconds: 2,
    redis: false,
  });
  c.callbacks.script = (cb) => (cb.contentType === 'normal' ? { action: 'hangup' } : { action: 'donothing' });
  return c;
}

test('serve --role api + --role media on one PostgreSQL: a SmartCall is placed, converses, ends with its record and VoiceReport', async () => {
  const c = await cluster({ cps: 10, maxCalls: 10 });
  const { admin, callbacks, receipts } = c;
  try {
    const api = await c.node('api', 'api1');
    const media = await c.node('media', 'media1');
    assert.match(media.output(), /"role":"media"/);
    const callId = await c.smartCall(api, TALKER, 'media-1');
    const call = await until('the final record', 30_000, async () => {
      const c = await admin.calls.find(callId);
      return c && (c.state === 'ended' || c.state === 'failed') ? c : undefined;
    });
    assert.equal(call.state, 'ended', JSON.stringify(call));
    assert.ok(call.answerAt, 'answered');
    assert.equal(call.trunk, 'phonenet');
    const said = callbacks.forCall(callId);
    assert.ok(
      said.some((cb) => cb.contentType === 'normal'),
      `the persona's words reached the callback: ${JSON.stringify(said.map((c) => c.contentType))}`,
    );
    const exchanges = await until('the callback exchanges', 10_000, async () => {
      const x = await admin.callbackExchanges.listByCall(callId);
      return x.length > 0 ? x : undefined;
    });
    assert.ok(exchanges.length >= 1, 'the callback exchanges are in PostgreSQL');
    const report = await until('the VoiceReport', 15_000, async () =>
      receipts.find((r) => r.callId === callId || JSON.stringify(r.body).includes(callId)),
    );
    assert.ok(report, 'the VoiceReport was delivered');
    const stored = await admin.receipts.listByCall(callId);
    assert.equal(stored.filter((r) => r.type === 'VoiceReport').length, 1, 'one VoiceReport');
    assert.equal(await media.stop(), 0, 'SIGTERM stops the media node cleanly');
    assert.equal(await api.stop(), 0);
  } finally {
    await c.close();
  }
});

test('two media nodes: 20 calls spread over both, none placed twice, 5 CPS held across them; a SIGKILLed node’s calls are finalised by the other', async () => {
  const c = await cluster({ cps: 5, maxCalls: 40 });
  const { admin } = c;
  try {
    const api = await c.node('api', 'api2');
    const a = await c.node('media', 'media2a');
    const b = await c.node('media', 'media2b');
    const [nameA, nameB] = [queueName(a), queueName(b)];
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await c.smartCall(api, HOLDER, `spread-${i}`));
    const starts = await until('20 starts', 30_000, async () => {
      const r = await admin.pool.query<{ call_id: string; node: string; at_ms: string }>(
        `SELECT call_id, node, (extract(epoch FROM at) * 1000)::float8 AS at_ms FROM trunk_starts WHERE trunk = 'phonenet' ORDER BY at`,
      );
      return r.rows.length >= 20 ? r.rows : undefined;
    });
    assert.equal(starts.length, 20, 'every call started once (no call placed twice)');
    assert.equal(new Set(starts.map((s) => s.call_id)).size, 20);
    const byNode = new Map<string, number>();
    for (const s of starts) byNode.set(s.node, (byNode.get(s.node) ?? 0) + 1);
    assert.ok(
      (byNode.get(nameA) ?? 0) > 0 && (byNode.get(nameB) ?? 0) > 0,
      `spread: ${JSON.stringify([...byNode])}`,
    );
    const at = starts.map((s) => Number(s.at_ms));
    let worst = 0;
    for (let i = 0; i < at.length; i++)
      worst = Math.max(worst, at.filter((t) => t >= at[i]! && t < at[i]! + 1000).length);
    assert.ok(worst <= 5, `at most 5 starts in any one-second window (saw ${worst})`);

    // Node A dies with its calls up; the other finalises them after A's lease (2 s) lapses.
    await until('answered calls on node A', 10_000, async () => {
      const r = await admin.pool.query(
        `SELECT 1 FROM calls WHERE claimed_by = $1 AND state = 'answered' LIMIT 1`,
        [nameA],
      );
      return r.rows.length > 0 ? true : undefined;
    });
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    const finals = await until('every call final', 20_000, async () => {
      const calls = await Promise.all(ids.map((id) => admin.calls.find(id)));
      return calls.every((c) => c?.state === 'ended' || c?.state === 'failed') ? calls : undefined;
    });
    const recovery = (Date.now() - killedAt) / 1000;
    assert.ok(recovery < 15, `finalised within 15 s (${recovery} s)`);
    for (const id of ids) {
      const reports = await until(`VoiceReport of ${id}`, 10_000, async () => {
        const r = (await admin.receipts.listByCall(id)).filter((x) => x.type === 'VoiceReport');
        return r.length > 0 ? r : undefined;
      });
      assert.equal(reports.length, 1, `exactly one VoiceReport for ${id}`);
    }
    assert.ok(
      finals.some((c) => c?.statusMsg?.includes('平台重启')),
      'node A’s calls were finalised as interrupted',
    );
    assert.equal(await b.stop(), 0);
    assert.equal(await api.stop(), 0);
  } finally {
    await c.close();
  }
});

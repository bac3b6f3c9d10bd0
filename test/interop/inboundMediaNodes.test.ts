/**
 * Inbound calls on media nodes (issue 15 item 6) through the real CLI: two `serve --role media
 * --store postgres://…` nodes behind the shipped deploy/kamailio/dispatcher.cfg. INVITEs to a number
 * marked inbound reach both nodes; each call gets its `callin` callback, is a row in PostgreSQL
 * claimed by the node that took it, and ends with exactly one VoiceReport. A node SIGKILLed while
 * its inbound calls ring has them finalised by the other node once its lease lapses (one terminal
 * state, one VoiceReport each), as its outbound calls would be.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Running } from '../cli/cliHarness.js';
import { sipInvite } from '../cli/sipProbe.js';
import { personasYaml, queueName, startCluster, until } from '../helpers/cluster.js';
import { startKamailioDispatcher } from '../helpers/kamailioDispatcher.js';
import { freePort } from '../helpers/ports.js';
import type { Peer } from '../helpers/sipPeers.js';

const INBOUND = '057100004444';

/** The SIP port a media node logged in its start line. */
const sipPort = (n: Running): number => Number(/"sip":\{[^}]*"port":(\d+)/.exec(n.output())![1]);

test('two media nodes behind the Kamailio dispatcher take inbound calls: callin on both, rows in PostgreSQL, one VoiceReport each; a SIGKILLed node’s ringing calls are finalised by the other', async () => {
  const c = await startCluster({
    personas: personasYaml('talker'),
    trunk: { cps: 10, maxCalls: 10 },
    leaseSeconds: 2,
    redis: false,
  });
  const { admin, callbacks, receipts } = c;
  let kamailio: Peer | undefined;
  try {
    const kamailioPort = await freePort();
    // The dispatcher's INVITEs come from 127.0.0.1: a trunk lets that range in (read before the nodes start).
    const phonenet = (await admin.trunks.find('phonenet'))!;
    await admin.trunks.upsert({ ...phonenet, inboundFrom: ['127.0.0.1/32'] });
    const show = await admin.numbers.find('05710000009');
    await admin.numbers.add({
      number: INBOUND,
      accountId: show!.accountId,
      inbound: true,
      createdAt: Date.now(),
    });
    // Answered after a second in the callback, so calls overlap and the dispatcher's load counts;
    // the probe says nothing, and after a second of silence the business hangs up (the probe's own
    // BYE carries no route set, so it does not get back through the dispatcher).
    callbacks.delayMs = 1000;
    callbacks.script = (cb) =>
      cb.contentType === 'callin'
        ? { action: 'answer', mute_time: 1000, session_timeout: 3 }
        : { action: 'hangup' };

    const a = await c.node('media', 'in-a');
    const b = await c.node('media', 'in-b');
    const [nameA, nameB] = [queueName(a), queueName(b)];
    kamailio = await startKamailioDispatcher({
      port: kamailioPort,
      nodes: [
        { uri: `sip:127.0.0.1:${sipPort(a)}`, duid: 'media-a', maxload: 100 },
        { uri: `sip:127.0.0.1:${sipPort(b)}`, duid: 'media-b', maxload: 100 },
      ],
      pingIntervalSeconds: 1,
      pingThreshold: 1,
    });
    const k = kamailio;
    const invite = () =>
      sipInvite({ host: '127.0.0.1', port: kamailioPort, number: INBOUND, timeoutMs: 15_000 });

    // 1. Eight calls at once: answered (200), spread over both nodes, hung up by the business.
    const answers = await Promise.all(Array.from({ length: 8 }, invite));
    assert.deepEqual(
      answers.map((x) => x?.status),
      Array(8).fill(200),
      `${k.output().slice(-2000)}\n--- A\n${a.output().slice(-2000)}`,
    );
    const callins = callbacks.received.filter((cb) => cb.contentType === 'callin');
    assert.equal(callins.length, 8);
    const ids = callins.map((cb) => cb.callId);
    const rows = await until('8 final rows', 15_000, async () => {
      (await import('node:fs')).writeFileSync(
        '/tmp/inb-debug.txt',
        JSON.stringify(
          (await admin.pool.query('SELECT call_id, state, claimed_by, status_code, status_msg FROM calls'))
            .rows,
        ) +
          JSON.stringify(callbacks.received.map((x) => x.contentType)) +
          a.output().slice(-3000),
      );
      const r = await admin.pool.query<{ call_id: string; state: string; claimed_by: string }>(
        'SELECT call_id, state, claimed_by FROM calls WHERE call_id = ANY($1::text[])',
        [ids],
      );
      return r.rows.length === 8 && r.rows.every((x) => x.state === 'ended') ? r.rows : undefined;
    });
    const byNode = (name: string) => rows.filter((r) => r.claimed_by === name).length;
    assert.ok(byNode(nameA) >= 2 && byNode(nameB) >= 2, `spread: A ${byNode(nameA)}, B ${byNode(nameB)}`);
    for (const id of ids) {
      await until(`VoiceReport of ${id} delivered`, 10_000, async () =>
        receipts.some((r) => r.callId === id || JSON.stringify(r.body).includes(id)) ? true : undefined,
      );
      const stored = (await admin.receipts.listByCall(id)).filter((r) => r.type === 'VoiceReport');
      assert.equal(stored.length, 1, `one VoiceReport for ${id}`);
    }

    // 2. Calls ring on both nodes (the callback takes 8 s); node A dies with its calls ringing.
    callbacks.delayMs = 8000;
    const ringing = Array.from({ length: 6 }, invite);
    const onA = await until('ringing inbound calls on node A', 10_000, async () => {
      const r = await admin.pool.query<{ call_id: string }>(
        `SELECT call_id FROM calls WHERE claimed_by = $1 AND state = 'ringing'`,
        [nameA],
      );
      return r.rows.length >= 2 ? r.rows.map((x) => x.call_id) : undefined;
    });
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    const finals = await until('node A’s calls final', 15_000, async () => {
      const calls = await Promise.all(onA.map((id) => admin.calls.find(id)));
      return calls.every((x) => x?.state === 'ended' || x?.state === 'failed') ? calls : undefined;
    });
    const recovery = (Date.now() - killedAt) / 1000;
    assert.ok(recovery < 15, `finalised within 15 s (${recovery} s)`);
    assert.ok(
      finals.every((x) => x?.statusMsg?.includes('平台重启')),
      `finalised as interrupted: ${JSON.stringify(finals.map((x) => x?.statusMsg))}`,
    );
    for (const id of onA) {
      await until(`VoiceReport of ${id}`, 10_000, async () =>
        (await admin.receipts.listByCall(id)).some((r) => r.type === 'VoiceReport') ? true : undefined,
      );
      const stored = (await admin.receipts.listByCall(id)).filter((r) => r.type === 'VoiceReport');
      assert.equal(stored.length, 1, `exactly one VoiceReport for ${id}`);
    }
    await Promise.all(ringing);
    assert.equal(await b.stop(), 0, 'SIGTERM stops node B cleanly');
  } finally {
    await kamailio?.stop();
    await c.close();
  }
});

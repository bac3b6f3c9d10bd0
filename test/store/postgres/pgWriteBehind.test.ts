/**
 * A media node's write-behind in front of PostgreSQL (issue 15): a write that can never land is
 * dropped (not retried for ever, blocking the call's later writes), a NUL in a callback body is no
 * such write, and a node's call writes are fenced to the calls it still holds.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { systemClock } from '../../../src/clock/clock.js';
import { within } from '../../../src/clock/within.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { PgStore } from '../../../src/store/postgres/pgStore.js';
import { isTransientWriteError, WriteBehindStore } from '../../../src/store/writeBehindStore.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { aCall } from '../contract/callContract.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

async function storeWithCalls(
  name: string,
  calls: { state: 'dialing' | 'queued' | 'failed'; claimedBy: string }[],
): Promise<{ store: PgStore; ids: string[] }> {
  const store = await PgStore.open(await server.createDatabase(name), { poolSize: 2 });
  const acc = (await store.accounts.create({ name: 'acme', now: 1 })).id;
  const ids: string[] = [];
  for (const [i, c] of calls.entries()) {
    const call = aCall(acc, i + 1);
    await store.calls.insert(call);
    await store.pool.query(
      'UPDATE calls SET state = $2, claimed_by = $3, claimed_until = 0 WHERE call_id = $1',
      [call.callId, c.state, c.claimedBy],
    );
    ids.push(call.callId);
  }
  return { store, ids };
}

const exchange = (callId: string, reply: string) => ({
  callId,
  contentType: 'application/json',
  content: '{}',
  outcome: 'ok',
  httpStatus: 200,
  reply,
  action: null,
  detail: null,
  latencyMs: 5,
  createdAt: 10,
});

test('transient errors are told from those that fail the same way again', () => {
  for (const code of ['08006', '40001', '40P01', '53300', '57P01', 'ECONNREFUSED', 'EPIPE'])
    assert.equal(isTransientWriteError(Object.assign(new Error('x'), { code })), true, code);
  for (const code of ['22021', '22P02', '23505', '42703'])
    assert.equal(isTransientWriteError(Object.assign(new Error('x'), { code })), false, code);
  assert.equal(isTransientWriteError(new Error('Connection terminated unexpectedly')), true);
});

test('a NUL in a callback body lands; a write that can never land is dropped and the call’s later writes land', async () => {
  const { store, ids } = await storeWithCalls('poison', [{ state: 'dialing', claimedBy: 'node-a' }]);
  const callId = ids[0]!;
  const writes = new WriteBehindStore({ store, clock: systemClock, log: silentLogger(), node: 'node-a' });
  try {
    writes.adopt((await store.calls.find(callId))!);
    writes.sync.callbackExchanges.insert(exchange(callId, 'before\u0000after'));
    // Not a number: 22P02 every time it is tried.
    writes.sync.calls.update(callId, { ringAt: 'soon' as unknown as number });
    writes.sync.calls.update(callId, { state: 'ended', endAt: 5000 });
    assert.equal(
      await within(writes.flush(callId), 5000, systemClock),
      true,
      'the call’s writes were not blocked',
    );
    const { rows } = await store.pool.query('SELECT reply FROM callback_exchanges WHERE call_id = $1', [
      callId,
    ]);
    assert.deepEqual(rows, [{ reply: 'beforeafter' }]);
    const call = await store.calls.find(callId);
    assert.equal(call?.state, 'ended');
    assert.equal(call?.endAt, 5000);
    assert.equal(writes.droppedWrites, 1);
  } finally {
    writes.close();
    await store.close();
  }
});

test('writes are fenced: a call another node took, or one cancelled, is not overwritten; no receipt goes out', async () => {
  const { store, ids } = await storeWithCalls('fence', [
    { state: 'dialing', claimedBy: 'node-b' }, // lease lost: another node finalises it
    { state: 'failed', claimedBy: 'node-a' }, // CancelCall committed while this node held it
    { state: 'dialing', claimedBy: 'node-a' }, // still this node's
  ]);
  const lost: string[] = [];
  const writes = new WriteBehindStore({
    store,
    clock: systemClock,
    log: silentLogger(),
    node: 'node-a',
    onFenceLost: (id) => lost.push(id),
  });
  try {
    for (const id of ids) writes.adopt((await store.calls.find(id))!);
    for (const [i, id] of ids.entries())
      writes.sync.transaction(() => {
        writes.sync.calls.update(id, { state: 'ended', endAt: 7000 });
        writes.sync.receipts.append({
          receiptId: `${id}:VoiceReport:1`,
          accountId: 1,
          callId: id,
          type: 'VoiceReport',
          stream: 'http://127.0.0.1:9/report',
          payload: `{"n":${i}}`,
          nextAttemptAt: 0,
          createdAt: 7000,
        });
      });
    // This node's own terminal state may be followed by its later writes (a recording's link).
    writes.sync.calls.update(ids[2]!, { endAt: 7001 });
    // Writes after a fence miss are ignored.
    writes.sync.calls.update(ids[0]!, { endAt: 9999 });
    await within(Promise.all(ids.map((id) => writes.flush(id))), 5000, systemClock);
    const states = await Promise.all(ids.map((id) => store.calls.find(id)));
    assert.deepEqual(
      states.map((c) => [c?.state, c?.endAt]),
      [
        ['dialing', null],
        ['failed', null],
        ['ended', 7001],
      ],
    );
    const { rows } = await store.pool.query('SELECT call_id FROM receipts ORDER BY id');
    assert.deepEqual(
      rows.map((r) => r.call_id),
      [ids[2]],
      'only the call this node still held got its receipt',
    );
    assert.deepEqual(lost.sort(), [ids[0], ids[1]].sort());
    assert.equal(writes.fenceMisses, 2);
  } finally {
    writes.close();
    await store.close();
  }
});

/**
 * Accepted calls on PostgreSQL as an API node writes them (PgCallRepository.insertAll behind the
 * CallWriter): a batch is one statement that lands whole, with every field as given; a CallId that
 * already exists, or comes twice in one batch, is reported (the writer then draws a fresh one),
 * not thrown; a batch PostgreSQL refuses lands not at all and every call of it is told.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CallWriter } from '../../../src/calls/callWriter.js';
import { openPool, QUERY_TIMEOUT_MS, STATEMENT_TIMEOUT_MS } from '../../../src/store/postgres/pgDatabase.js';
import { PgStore } from '../../../src/store/postgres/pgStore.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { aCall } from '../contract/callContract.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

async function store(name: string): Promise<{ store: PgStore; accountId: number }> {
  const s = await PgStore.open(await server.createDatabase(name), { poolSize: 2 });
  return { store: s, accountId: (await s.accounts.create({ name: 'acme', now: 1 })).id };
}

test('a batch lands in one statement with every field kept; a taken or repeated CallId is reported', async () => {
  const { store: s, accountId } = await store('batch_fields');
  try {
    const full = aCall(accountId, 1, {
      dynamicId: 'dyn-1',
      request: '{"calledNumber":"15900000001"}',
      originateAt: 2000,
      ringAt: 2100,
      answerAt: 2200,
      endAt: 9000,
      statusCode: '200000',
      smartStatusCode: '000',
      statusMsg: 'ok',
      hangupDirection: 'callee',
      trunk: 't1',
      sipStatus: 200,
      sipReason: 'OK',
      dtmf: '12#',
      earlyMediaCode: null,
      recordPath: '/rec/1.wav',
      recordBeginAt: 2250,
      parallelLegHangupCause: null,
      amd: '{"outcome":"human"}',
      state: 'ended',
    });
    const plain = aCall(accountId, 2);
    assert.deepEqual(await s.calls.insertAll([full, plain]), [true, true]);
    assert.deepEqual(await s.calls.find(full.callId), full);
    assert.deepEqual(await s.calls.find(plain.callId), plain);

    const third = aCall(accountId, 3);
    const again = { ...aCall(accountId, 4), callId: plain.callId };
    assert.deepEqual(await s.calls.insertAll([third, again, { ...third, outId: 'twice' }]), [
      true,
      false,
      false,
    ]);
    assert.deepEqual(await s.calls.find(plain.callId), plain, 'the stored call is left as it was');
    assert.equal((await s.calls.find(third.callId))?.outId, third.outId);
    assert.deepEqual(await s.calls.insertAll([]), []);
  } finally {
    await s.close();
  }
});

test('a fractional time is rounded and a NUL character taken out, as on every other write', async () => {
  const { store: s, accountId } = await store('batch_bind');
  try {
    const call = aCall(accountId, 5, { createdAt: 1234.6, outId: 'a\u0000b' });
    assert.deepEqual(await s.calls.insertAll([call]), [true]);
    const stored = await s.calls.find(call.callId);
    assert.equal(stored?.createdAt, 1235);
    assert.equal(stored?.outId, 'ab');
  } finally {
    await s.close();
  }
});

test('a batch PostgreSQL refuses lands not at all, and the writer rejects every call of it', async () => {
  const { store: s, accountId } = await store('batch_refused');
  try {
    const writer = CallWriter.overAsync(s.calls);
    const good = aCall(accountId, 6);
    const orphan = aCall(accountId + 1000, 7); // no such account: the foreign key refuses it
    const results = await Promise.allSettled([writer.insert(good), writer.insert(orphan)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(await s.calls.find(good.callId), undefined, 'nothing of the batch landed');
    // The writer goes on: the next call lands.
    assert.equal(await writer.insert(aCall(accountId, 8)), true);
  } finally {
    await s.close();
  }
});

test("the pool's statements are cancelled by the server (25 s) before the client gives up on them (30 s)", async () => {
  const pool = openPool(await server.createDatabase('timeouts'), { max: 1 });
  try {
    const { rows } = await pool.query<{ statement_timeout: string }>('SHOW statement_timeout');
    assert.equal(rows[0]!.statement_timeout, '25s');
    assert.ok(STATEMENT_TIMEOUT_MS < QUERY_TIMEOUT_MS);
  } finally {
    await pool.end();
  }
});

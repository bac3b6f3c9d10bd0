/**
 * A PostgreSQL restart or failover ends connections in the middle of transactions. The node must
 * live through it: the transaction fails (and can be retried), the broken connection is dropped, and
 * the next statements run on fresh ones. (A checked-out pg client emits 'error' when its connection
 * ends; unheard, that crashed the process with "Unhandled 'error' event".)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openPool } from '../../../src/store/postgres/pgDatabase.js';
import { inTransaction, PgStore } from '../../../src/store/postgres/pgStore.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
let url: string;
before(async () => {
  server = await startPostgres();
  url = await server.createDatabase('connection_loss');
});
after(async () => {
  await server?.stop();
});

test('a connection killed between statements of a transaction fails that transaction only', async () => {
  const store = await PgStore.open(url, { poolSize: 2 });
  const killer = openPool(url, { max: 1 });
  try {
    const failed = inTransaction(store.pool, async (db) => {
      const pid = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await killer.query('SELECT pg_terminate_backend($1)', [pid]);
      // Give the server's goodbye time to reach the client before the next statement.
      await new Promise((r) => setTimeout(r, 200));
      await db.query('SELECT 1');
    });
    await assert.rejects(failed);
    // The store goes on, on fresh connections.
    assert.equal((await store.accounts.create({ name: 'after-loss', now: 1 })).name, 'after-loss');
    assert.equal((await store.accounts.findByName('after-loss'))?.name, 'after-loss');
  } finally {
    await killer.end();
    await store.close();
  }
});

test('a connection killed during a running statement of a transaction fails it, and the next ones run', async () => {
  const store = await PgStore.open(url, { poolSize: 2 });
  const killer = openPool(url, { max: 1 });
  try {
    let pid = 0;
    const failed = inTransaction(store.pool, async (db) => {
      pid = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await db.query('SELECT pg_sleep(5)');
    });
    while (pid === 0) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    await killer.query('SELECT pg_terminate_backend($1)', [pid]);
    await assert.rejects(failed);
    for (let i = 0; i < 4; i++) {
      const r = await inTransaction(store.pool, async (db) => (await db.query('SELECT 1 AS one')).rows[0]);
      assert.deepEqual(r, { one: 1 });
    }
  } finally {
    await killer.end();
    await store.close();
  }
});

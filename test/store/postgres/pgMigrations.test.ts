/**
 * PostgreSQL's own migrations: nodes starting together apply each one once (the advisory lock), a
 * failing one leaves nothing behind, and the schema names every table and column the SQLite one has
 * (one row mapping serves both stores; a SQLite migration without its PostgreSQL twin fails here).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PG_MIGRATIONS } from '../../../src/store/postgres/migrations.js';
import { migratePg, openPool } from '../../../src/store/postgres/pgDatabase.js';
import { PgStore } from '../../../src/store/postgres/pgStore.js';
import { PgAccountRepository } from '../../../src/store/postgres/tenancyTables.js';
import type { CallRecord } from '../../../src/store/records.js';
import type { CallPatch } from '../../../src/store/repositories.js';
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { assertRollupsAgree, placeCalls, ROLLUP_START } from '../contract/rollupContract.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

test('nodes starting together apply every migration exactly once', async () => {
  const url = await server.createDatabase('together');
  const pools = [openPool(url, { max: 1 }), openPool(url, { max: 1 }), openPool(url, { max: 1 })];
  try {
    const ran = await Promise.all(pools.map((p) => migratePg(p)));
    assert.deepEqual(
      ran.flat().sort((a, b) => a - b),
      PG_MIGRATIONS.map((m) => m.version),
      'each version ran on one node only',
    );
    const { rows } = await pools[0]!.query('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      rows.map((r) => r.version),
      PG_MIGRATIONS.map((m) => m.version),
    );
    assert.deepEqual(await migratePg(pools[1]!), [], 'a later start applies nothing');
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
});

test('a failing migration leaves the schema as it was, and the next start tries it again', async () => {
  const url = await server.createDatabase('failing');
  const pool = openPool(url, { max: 1 });
  try {
    const broken = [
      { version: 1, name: 'ok', sql: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE b (y INTEGER); CREATE TABLE a (x INTEGER);' },
    ];
    await assert.rejects(migratePg(pool, broken), /already exists/);
    const tables = await pool.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    assert.deepEqual(
      tables.rows.map((r) => r.table_name),
      ['a', 'schema_migrations'],
    );
    assert.deepEqual(
      await migratePg(pool, [broken[0]!, { ...broken[1]!, sql: 'CREATE TABLE b (y INTEGER);' }]),
      [2],
    );
  } finally {
    await pool.end();
  }
});

test('the PostgreSQL schema has every table and column of the SQLite schema', async () => {
  const url = await server.createDatabase('parity');
  const pool = openPool(url, { max: 1 });
  const sqlite = SqliteStore.inMemory();
  try {
    await migratePg(pool);
    const pgColumns = new Map<string, Set<string>>();
    const { rows } = await pool.query<{ table_name: string; column_name: string }>(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'",
    );
    for (const r of rows) {
      if (!pgColumns.has(r.table_name)) pgColumns.set(r.table_name, new Set());
      pgColumns.get(r.table_name)!.add(r.column_name);
    }
    const tables = sqlite.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[];
    assert.ok(tables.length > 15);
    const missing: string[] = [];
    for (const { name } of tables) {
      const columns = sqlite.db.prepare(`PRAGMA table_info(${name})`).all() as { name: string }[];
      for (const c of columns) if (!pgColumns.get(name)?.has(c.name)) missing.push(`${name}.${c.name}`);
    }
    assert.deepEqual(missing, [], 'add a PostgreSQL migration (src/store/postgres/migrations.ts) for these');
  } finally {
    sqlite.close();
    await pool.end();
  }
});

test('a store whose database does not exist fails to open with the cause', async () => {
  await assert.rejects(
    PgStore.open(`postgres://postgres@127.0.0.1:${server.port}/no_such_db`),
    /database "no_such_db" does not exist/,
  );
});

test('calls stored before the roll-ups existed are counted once migration 3 runs', async () => {
  const url = await server.createDatabase('rollup_fill');
  const pool = openPool(url, { max: 1 });
  let store: PgStore | undefined;
  try {
    await migratePg(
      pool,
      PG_MIGRATIONS.filter((m) => m.version < 3),
    );
    const accounts = [
      (await new PgAccountRepository(pool).create({ name: 'a1', now: ROLLUP_START })).id,
      (await new PgAccountRepository(pool).create({ name: 'a2', now: ROLLUP_START })).id,
    ];
    // The calls table before migration 3 (no amd column): written column by column.
    const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const write = async (sql: (cols: string[]) => string, entries: [string, unknown][], extra: unknown[]) => {
      const kept = entries.filter(([k, v]) => k !== 'amd' && v !== undefined);
      await pool.query(sql(kept.map(([k]) => snake(k))), [...kept.map(([, v]) => v), ...extra]);
      return true;
    };
    const oldCalls = {
      insert: (c: CallRecord) =>
        write(
          (cols) => `INSERT INTO calls (${cols}) VALUES (${cols.map((_, i) => `$${i + 1}`)})`,
          Object.entries(c),
          [],
        ),
      update: (callId: string, patch: CallPatch) =>
        write(
          (cols) =>
            `UPDATE calls SET ${cols.map((c, i) => `${c} = $${i + 1}`)} WHERE call_id = $${cols.length + 1}`,
          Object.entries(patch),
          [callId],
        ),
    };
    await placeCalls(oldCalls as never, accounts, 11, 400);
    assert.deepEqual(
      await migratePg(
        pool,
        PG_MIGRATIONS.filter((m) => m.version <= 3),
      ),
      [3],
    );
    store = await PgStore.open(url, { poolSize: 2 });
    await placeCalls(store.calls, accounts, 12, 400); // and calls after it
    await assertRollupsAgree(store, accounts, 200);
  } finally {
    await store?.close();
    await pool.end();
  }
});

test('migration 4 applies on a calls table whose scheduler columns and index were added by hand (CONCURRENTLY) before the upgrade', async () => {
  const url = await server.createDatabase('prebuilt');
  const pool = openPool(url, { max: 1 });
  try {
    await migratePg(
      pool,
      PG_MIGRATIONS.filter((m) => m.version < 4),
    );
    // What docs/scale-out.md tells an operator with a big calls table to run first (one by one:
    // CREATE INDEX CONCURRENTLY cannot run inside a transaction).
    await pool.query('ALTER TABLE calls ADD COLUMN IF NOT EXISTS assigned_node TEXT');
    await pool.query('ALTER TABLE calls ADD COLUMN IF NOT EXISTS assigned_until BIGINT');
    await pool.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS calls_queued_assigned ON calls(assigned_node, created_at, call_id)
       WHERE state = 'queued'`,
    );
    assert.deepEqual(await migratePg(pool), [4]);
    const { rows } = await pool.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE tablename = 'calls' AND indexname = 'calls_queued_assigned'",
    );
    assert.equal(rows.length, 1);
  } finally {
    await pool.end();
  }
});

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
import { SqliteStore } from '../../../src/store/sqlite/sqliteStore.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

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

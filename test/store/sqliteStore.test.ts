import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { newQueuedCall } from '../../src/calls/newCall.js';
import { migrate, openDatabase } from '../../src/store/sqlite/database.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { tempDir } from '../helpers/tempDir.js';

test('the database opens in WAL mode with every migration applied once', () => {
  const dir = tempDir();
  try {
    const db = openDatabase(`${dir.path}/a.db`);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    const versions = db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[];
    assert.deepEqual(
      versions.map((v) => v.version),
      MIGRATIONS.map((m) => m.version),
    );
    assert.deepEqual(migrate(db, MIGRATIONS), [], 'a second run applies nothing');
    db.close();
  } finally {
    dir.remove();
  }
});

test('a failing migration leaves the schema as it was', () => {
  const db = new Database(':memory:');
  const broken = [
    { version: 1, name: 'ok', sql: 'CREATE TABLE a (x INTEGER);' },
    { version: 2, name: 'broken', sql: 'CREATE TABLE b (y INTEGER); CREATE TABLE a (x INTEGER);' },
  ];
  assert.throws(() => migrate(db, broken), /already exists/);
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all() as {
    name: string;
  }[];
  assert.deepEqual(
    tables.map((t) => t.name),
    ['a', 'schema_migrations'],
    'table b of the failed migration was rolled back',
  );
  db.close();
});

test('calls keep every field, and a duplicate CallId is reported rather than thrown', () => {
  const store = SqliteStore.inMemory();
  const account = store.accounts.create({ name: 'acme', now: 1 });
  const call = newQueuedCall({
    callId: '000000000001^000010000001',
    accountId: account.id,
    calledNumber: '15900001111',
    calledShowNumber: '057188880000',
    outId: 'o',
    dynamicId: null,
    request: '{}',
    createdAt: 5,
  });
  assert.equal(store.calls.insert(call), true);
  assert.equal(store.calls.insert(call), false);
  assert.deepEqual(store.calls.find(call.callId), call);
  assert.deepEqual(store.calls.countByState(), { queued: 1 });
  store.close();
});

test('a transaction that throws writes nothing', () => {
  const store = SqliteStore.inMemory();
  assert.throws(() =>
    store.transaction(() => {
      store.accounts.create({ name: 'a', now: 1 });
      throw new Error('boom');
    }),
  );
  assert.equal(store.accounts.list().length, 0);
  store.close();
});

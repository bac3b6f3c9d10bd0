/**
 * Opens the SQLite database in WAL mode and brings its schema up to date. WAL lets the admin CLI
 * write while `smartcall serve` reads, and `synchronous=NORMAL` keeps commits durable across a
 * process crash (only an OS crash can lose the last transactions), which is the embedded trade-off.
 */

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock } from '../../clock/clock.js';
import { MIGRATIONS, type Migration } from './migrations.js';

export type SqliteDatabase = Database.Database;

export function openDatabase(file: string, migrations: readonly Migration[] = MIGRATIONS): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

export function migrate(db: SqliteDatabase, migrations: readonly Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  const ran: number[] = [];
  // BEGIN IMMEDIATE: two processes starting together must not both run the same migration.
  const apply = db.transaction((m: Migration) => {
    const again = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version);
    if (again) return;
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      m.version,
      m.name,
      Math.round(systemClock.now()),
    );
    ran.push(m.version);
  });
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (!applied.has(m.version)) apply.immediate(m);
  }
  return ran;
}

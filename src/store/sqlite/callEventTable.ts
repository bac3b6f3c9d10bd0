import type Database from 'better-sqlite3';
import type { CallEventRecord } from '../records.js';
import type { CallEventRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

/** Rows looked at per sweep step: old events are deleted a batch at a time, oldest first. */
const SWEEP_BATCH = 5000;

/**
 * `call_events` (migration 23): a call's timeline events, appended in batches. Rows are numbered in
 * the order written, which is the order of time, so the retention sweep deletes from the start of
 * the table and stops at the first batch holding a newer row (no index on time to keep).
 */
export class SqliteCallEventRepository implements CallEventRepository {
  readonly #db: SqliteDatabase;
  #statements:
    | {
        insert: Database.Statement<unknown[]>;
        byCall: Database.Statement<unknown[]>;
        oldest: Database.Statement<unknown[]>;
        remove: Database.Statement<unknown[]>;
      }
    | undefined;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  // Prepared on first use: a store opened on an older schema (migration tests) never needs them.
  get #s() {
    this.#statements ??= {
      insert: this.#db.prepare('INSERT INTO call_events (call_id, at, type, data) VALUES (?, ?, ?, ?)'),
      byCall: this.#db.prepare(
        'SELECT call_id AS callId, at, type, data FROM call_events WHERE call_id = ? ORDER BY id',
      ),
      oldest: this.#db.prepare('SELECT id, at FROM call_events ORDER BY id LIMIT ?'),
      remove: this.#db.prepare('DELETE FROM call_events WHERE id <= ?'),
    };
    return this.#statements;
  }

  append(records: readonly CallEventRecord[]): void {
    const insert = this.#s.insert;
    this.#db.transaction(() => {
      for (const r of records) insert.run(r.callId, Math.round(r.at), r.type, r.data);
    })();
  }

  listByCall(callId: string): CallEventRecord[] {
    return this.#s.byCall.all(callId) as CallEventRecord[];
  }

  removeBefore(at: number): number {
    let removed = 0;
    for (;;) {
      const rows = this.#s.oldest.all(SWEEP_BATCH) as { id: number; at: number }[];
      const newer = rows.findIndex((r) => r.at >= at);
      const upTo = newer === -1 ? rows.at(-1)?.id : newer === 0 ? undefined : rows[newer - 1]!.id;
      if (upTo === undefined) return removed;
      removed += this.#s.remove.run(upTo).changes;
      if (newer !== -1) return removed;
    }
  }
}

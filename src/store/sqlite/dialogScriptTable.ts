/** Dialog scripts per account (migration 22). */
import type { DialogScriptRecord } from '../records.js';
import type { DialogScriptRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

export interface Row {
  id: string;
  account_id: number;
  name: string;
  source: string;
  script: string;
  created_at: number;
  updated_at: number;
}

export const toRecord = (r: Row): DialogScriptRecord => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  source: r.source,
  script: r.script,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class SqliteDialogScriptRepository implements DialogScriptRepository {
  readonly #db: SqliteDatabase;
  readonly #find;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#find = db.prepare<[number, string], Row>(
      'SELECT * FROM dialog_scripts WHERE account_id = ? AND id = ?',
    );
  }

  put(r: DialogScriptRecord): void {
    this.#db
      .prepare(
        `INSERT INTO dialog_scripts (id, account_id, name, source, script, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, id) DO UPDATE SET
           name = excluded.name, source = excluded.source, script = excluded.script,
           updated_at = excluded.updated_at`,
      )
      .run(r.id, r.accountId, r.name, r.source, r.script, r.createdAt, r.updatedAt);
  }

  find(accountId: number, id: string): DialogScriptRecord | undefined {
    const row = this.#find.get(accountId, id);
    return row && toRecord(row);
  }

  listByAccount(accountId: number): DialogScriptRecord[] {
    return this.#db
      .prepare<[number], Row>('SELECT * FROM dialog_scripts WHERE account_id = ? ORDER BY id')
      .all(accountId)
      .map(toRecord);
  }

  remove(accountId: number, id: string): boolean {
    return (
      this.#db.prepare('DELETE FROM dialog_scripts WHERE account_id = ? AND id = ?').run(accountId, id)
        .changes > 0
    );
  }
}

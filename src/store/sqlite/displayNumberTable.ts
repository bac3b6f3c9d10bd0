import type { DisplayNumberRecord } from '../records.js';
import type { DisplayNumberRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

export interface NumberRow {
  number: string;
  account_id: number;
  inbound: number;
  created_at: number;
}

export const toRecord = (r: NumberRow): DisplayNumberRecord => ({
  number: r.number,
  accountId: r.account_id,
  inbound: r.inbound === 1,
  createdAt: r.created_at,
});

export class SqliteDisplayNumberRepository implements DisplayNumberRepository {
  readonly #db: SqliteDatabase;
  readonly #find;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#find = db.prepare<[string], NumberRow>('SELECT * FROM display_numbers WHERE number = ?');
  }

  add(r: DisplayNumberRecord): void {
    this.#db
      .prepare('INSERT INTO display_numbers (number, account_id, inbound, created_at) VALUES (?, ?, ?, ?)')
      .run(r.number, r.accountId, r.inbound ? 1 : 0, r.createdAt);
  }

  setInbound(accountId: number, number: string, inbound: boolean): boolean {
    return (
      this.#db
        .prepare('UPDATE display_numbers SET inbound = ? WHERE account_id = ? AND number = ?')
        .run(inbound ? 1 : 0, accountId, number).changes > 0
    );
  }

  remove(accountId: number, number: string): boolean {
    return (
      this.#db
        .prepare('DELETE FROM display_numbers WHERE account_id = ? AND number = ?')
        .run(accountId, number).changes > 0
    );
  }

  find(number: string): DisplayNumberRecord | undefined {
    const row = this.#find.get(number);
    return row && toRecord(row);
  }

  listByAccount(accountId: number): DisplayNumberRecord[] {
    return this.#db
      .prepare<[number], NumberRow>('SELECT * FROM display_numbers WHERE account_id = ? ORDER BY number')
      .all(accountId)
      .map(toRecord);
  }
}

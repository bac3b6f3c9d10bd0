import type { AccessKeyRecord, AccessKeyStatus } from '../records.js';
import type { AccessKeyRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

export interface AccessKeyRow {
  access_key_id: string;
  account_id: number;
  secret_enc: string;
  status: AccessKeyStatus;
  created_at: number;
}

export const toRecord = (r: AccessKeyRow): AccessKeyRecord => ({
  accessKeyId: r.access_key_id,
  accountId: r.account_id,
  secretEnc: r.secret_enc,
  status: r.status,
  createdAt: r.created_at,
});

export class SqliteAccessKeyRepository implements AccessKeyRepository {
  readonly #db: SqliteDatabase;
  readonly #find;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#find = db.prepare<[string], AccessKeyRow>('SELECT * FROM access_keys WHERE access_key_id = ?');
  }

  insert(r: AccessKeyRecord): void {
    this.#db
      .prepare(
        'INSERT INTO access_keys (access_key_id, account_id, secret_enc, status, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(r.accessKeyId, r.accountId, r.secretEnc, r.status, r.createdAt);
  }

  find(accessKeyId: string): AccessKeyRecord | undefined {
    const row = this.#find.get(accessKeyId);
    return row && toRecord(row);
  }

  listByAccount(accountId: number): AccessKeyRecord[] {
    return this.#db
      .prepare<[number], AccessKeyRow>('SELECT * FROM access_keys WHERE account_id = ? ORDER BY created_at')
      .all(accountId)
      .map(toRecord);
  }

  setStatus(accessKeyId: string, status: AccessKeyStatus): boolean {
    return (
      this.#db.prepare('UPDATE access_keys SET status = ? WHERE access_key_id = ?').run(status, accessKeyId)
        .changes > 0
    );
  }

  delete(accessKeyId: string): boolean {
    return this.#db.prepare('DELETE FROM access_keys WHERE access_key_id = ?').run(accessKeyId).changes > 0;
  }
}

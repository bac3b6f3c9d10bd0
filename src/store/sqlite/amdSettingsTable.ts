import type { AmdSettingsRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

export class SqliteAmdSettingsRepository implements AmdSettingsRepository {
  readonly #get;
  readonly #set;
  readonly #remove;

  constructor(db: SqliteDatabase) {
    this.#get = db.prepare<[number], { settings: string }>(
      'SELECT settings FROM amd_settings WHERE account_id = ?',
    );
    this.#set = db.prepare(
      `INSERT INTO amd_settings (account_id, settings, updated_at) VALUES (?, ?, ?)
       ON CONFLICT(account_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
    );
    this.#remove = db.prepare('DELETE FROM amd_settings WHERE account_id = ?');
  }

  get(accountId: number): string | undefined {
    return this.#get.get(accountId)?.settings;
  }

  set(accountId: number, settingsJson: string, now: number): void {
    this.#set.run(accountId, settingsJson, Math.round(now));
  }

  remove(accountId: number): boolean {
    return this.#remove.run(accountId).changes > 0;
  }
}

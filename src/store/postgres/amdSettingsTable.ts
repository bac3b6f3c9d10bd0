/** Answering-machine detection settings per account in PostgreSQL (`amd_settings`, migration 3). */
import type { Async } from '../asyncStore.js';
import type { AmdSettingsRepository } from '../repositories.js';
import type { Queryable } from './pgDatabase.js';
import { changes, one } from './rows.js';

export class PgAmdSettingsRepository implements Async<AmdSettingsRepository> {
  constructor(readonly db: Queryable) {}

  async get(accountId: number): Promise<string | undefined> {
    return (
      await one<{ settings: string }>(this.db, 'SELECT settings FROM amd_settings WHERE account_id = $1', [
        accountId,
      ])
    )?.settings;
  }

  async set(accountId: number, settingsJson: string, now: number): Promise<void> {
    await changes(
      this.db,
      `INSERT INTO amd_settings (account_id, settings, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (account_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
      [accountId, settingsJson, now],
    );
  }

  async remove(accountId: number): Promise<boolean> {
    return (await changes(this.db, 'DELETE FROM amd_settings WHERE account_id = $1', [accountId])) > 0;
  }
}

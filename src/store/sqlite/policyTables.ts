import type { CallDecisionRecord, DncRecord } from '../records.js';
import type { PolicyRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

export const VERSION_KEY = 'policy_version';

export interface DncRow {
  account_id: number;
  number: string;
  reason: string;
  created_at: number;
}

export const toDnc = (r: DncRow): DncRecord => ({
  accountId: r.account_id,
  number: r.number,
  reason: r.reason,
  createdAt: r.created_at,
});

export class SqlitePolicyRepository implements PolicyRepository {
  readonly #db: SqliteDatabase;
  readonly #bump;
  readonly #version;
  readonly #addDnc;
  readonly #removeDnc;
  readonly #addDecision;
  readonly #decisions;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#bump = db.prepare(
      `INSERT INTO meta (key, value) VALUES ('${VERSION_KEY}', '1')
       ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
    );
    this.#version = db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = '${VERSION_KEY}'`);
    this.#addDnc = db.prepare(
      'INSERT OR IGNORE INTO dnc_numbers (account_id, number, reason, created_at) VALUES (?, ?, ?, ?)',
    );
    this.#removeDnc = db.prepare('DELETE FROM dnc_numbers WHERE account_id = ? AND number = ?');
    this.#addDecision = db.prepare(
      'INSERT INTO call_decisions (call_id, at, decision, detail) VALUES (@callId, @at, @decision, @detail)',
    );
    this.#decisions = db.prepare<[string], CallDecisionRecord>(
      'SELECT call_id AS callId, at, decision, detail FROM call_decisions WHERE call_id = ? ORDER BY id',
    );
  }

  get(accountId: number): string | undefined {
    return this.#db
      .prepare<[number], { policy: string }>('SELECT policy FROM calling_policies WHERE account_id = ?')
      .get(accountId)?.policy;
  }

  set(accountId: number, policyJson: string, now: number): void {
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO calling_policies (account_id, policy, updated_at) VALUES (?, ?, ?)
           ON CONFLICT(account_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`,
        )
        .run(accountId, policyJson, Math.round(now));
      this.#bump.run();
    })();
  }

  addDnc(accountId: number, numbers: readonly string[], reason: string, now: number): number {
    return this.#db.transaction(() => {
      let added = 0;
      for (const n of numbers) added += this.#addDnc.run(accountId, n, reason, Math.round(now)).changes;
      if (added > 0) this.#bump.run();
      return added;
    })();
  }

  removeDnc(accountId: number, numbers: readonly string[]): number {
    return this.#db.transaction(() => {
      let removed = 0;
      for (const n of numbers) removed += this.#removeDnc.run(accountId, n).changes;
      if (removed > 0) this.#bump.run();
      return removed;
    })();
  }

  listDnc(accountId?: number): DncRecord[] {
    const rows =
      accountId === undefined
        ? this.#db.prepare<[], DncRow>('SELECT * FROM dnc_numbers ORDER BY account_id, number').all()
        : this.#db
            .prepare<[number], DncRow>('SELECT * FROM dnc_numbers WHERE account_id = ? ORDER BY number')
            .all(accountId);
    return rows.map(toDnc);
  }

  version(): number {
    return Number(this.#version.get()?.value ?? 0);
  }

  addDecision(record: CallDecisionRecord): void {
    this.#addDecision.run({ ...record, at: Math.round(record.at) });
  }

  decisions(callId: string): CallDecisionRecord[] {
    return this.#decisions.all(callId);
  }
}

/** Calling policies, do-not-call lists and policy decisions in PostgreSQL (rows as in SQLite). */
import type { Async } from '../asyncStore.js';
import type { CallDecisionRecord, DncRecord } from '../records.js';
import type { PolicyRepository } from '../repositories.js';
import { type DncRow, toDnc, VERSION_KEY } from '../sqlite/policyTables.js';
import type { Queryable } from './pgDatabase.js';
import { changes, one, rows } from './rows.js';

const BUMP = `INSERT INTO meta (key, value) VALUES ('${VERSION_KEY}', '1')
  ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text`;

export class PgPolicyRepository implements Async<PolicyRepository> {
  constructor(
    readonly db: Queryable,
    readonly begin: <T>(fn: (db: Queryable) => Promise<T>) => Promise<T>,
  ) {}

  async get(accountId: number): Promise<string | undefined> {
    return (
      await one<{ policy: string }>(this.db, 'SELECT policy FROM calling_policies WHERE account_id = $1', [
        accountId,
      ])
    )?.policy;
  }

  async set(accountId: number, policyJson: string, now: number): Promise<void> {
    await this.begin(async (db) => {
      await changes(
        db,
        `INSERT INTO calling_policies (account_id, policy, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (account_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`,
        [accountId, policyJson, now],
      );
      await changes(db, BUMP);
    });
  }

  async addDnc(accountId: number, numbers: readonly string[], reason: string, now: number): Promise<number> {
    if (numbers.length === 0) return 0;
    return this.begin(async (db) => {
      const added = await changes(
        db,
        `INSERT INTO dnc_numbers (account_id, number, reason, created_at)
         SELECT $1::bigint, n, $3::text, $4::bigint FROM unnest($2::text[]) AS n ON CONFLICT DO NOTHING`,
        [accountId, [...new Set(numbers)], reason, now],
      );
      if (added > 0) await changes(db, BUMP);
      return added;
    });
  }

  async removeDnc(accountId: number, numbers: readonly string[]): Promise<number> {
    if (numbers.length === 0) return 0;
    return this.begin(async (db) => {
      const removed = await changes(
        db,
        'DELETE FROM dnc_numbers WHERE account_id = $1 AND number = ANY($2)',
        [accountId, numbers],
      );
      if (removed > 0) await changes(db, BUMP);
      return removed;
    });
  }

  async listDnc(accountId?: number): Promise<DncRecord[]> {
    const r =
      accountId === undefined
        ? await rows<DncRow>(this.db, 'SELECT * FROM dnc_numbers ORDER BY account_id, number')
        : await rows<DncRow>(this.db, 'SELECT * FROM dnc_numbers WHERE account_id = $1 ORDER BY number', [
            accountId,
          ]);
    return r.map(toDnc);
  }

  async version(): Promise<number> {
    return Number(
      (await one<{ value: string }>(this.db, 'SELECT value FROM meta WHERE key = $1', [VERSION_KEY]))
        ?.value ?? 0,
    );
  }

  async addDecision(r: CallDecisionRecord): Promise<void> {
    await changes(
      this.db,
      'INSERT INTO call_decisions (call_id, at, decision, detail) VALUES ($1, $2, $3, $4)',
      [r.callId, r.at, r.decision, r.detail],
    );
  }

  async decisions(callId: string): Promise<CallDecisionRecord[]> {
    return rows<CallDecisionRecord>(
      this.db,
      'SELECT call_id AS "callId", at, decision, detail FROM call_decisions WHERE call_id = $1 ORDER BY id',
      [callId],
    );
  }
}

import type { CampaignRecord, CampaignRowRecord, CampaignRowState, CampaignState } from '../records.js';
import type { CampaignRepository, CampaignRowPatch } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

export interface CampaignRow {
  id: number;
  account_id: number;
  name: string;
  state: CampaignState;
  settings: string;
  total: number;
  created_at: number;
  start_at: number;
  completed_at: number | null;
}

export interface RowRow {
  campaign_id: number;
  row_no: number;
  called_number: string;
  out_id: string | null;
  params: string;
  state: CampaignRowState;
  attempts: number;
  next_at: number;
  last_call_id: string | null;
  outcome: string | null;
  reason: string | null;
  updated_at: number;
}

export const toCampaign = (r: CampaignRow): CampaignRecord => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  state: r.state,
  settings: r.settings,
  total: r.total,
  createdAt: r.created_at,
  startAt: r.start_at,
  completedAt: r.completed_at,
});

export const toRow = (r: RowRow): CampaignRowRecord => ({
  campaignId: r.campaign_id,
  rowNo: r.row_no,
  calledNumber: r.called_number,
  outId: r.out_id,
  params: r.params,
  state: r.state,
  attempts: r.attempts,
  nextAt: r.next_at,
  lastCallId: r.last_call_id,
  outcome: r.outcome,
  reason: r.reason,
  updatedAt: r.updated_at,
});

export const ROW_COLUMNS: Record<keyof CampaignRowPatch, string> = {
  state: 'state',
  attempts: 'attempts',
  nextAt: 'next_at',
  lastCallId: 'last_call_id',
  outcome: 'outcome',
  reason: 'reason',
};

export class SqliteCampaignRepository implements CampaignRepository {
  readonly #db: SqliteDatabase;
  readonly #find;
  readonly #due;
  readonly #rowByCall;
  readonly #updates = new Map<string, ReturnType<SqliteDatabase['prepare']>>();

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#find = db.prepare<[number], CampaignRow>('SELECT * FROM campaigns WHERE id = ?');
    this.#due = db.prepare<[number, number, number], RowRow>(
      `SELECT * FROM campaign_rows WHERE campaign_id = ? AND state IN ('pending', 'waiting') AND next_at <= ?
       ORDER BY next_at, row_no LIMIT ?`,
    );
    this.#rowByCall = db.prepare<[string], RowRow>('SELECT * FROM campaign_rows WHERE last_call_id = ?');
  }

  create(
    campaign: Omit<CampaignRecord, 'id' | 'total' | 'completedAt'>,
    rows: readonly Omit<
      CampaignRowRecord,
      'campaignId' | 'attempts' | 'lastCallId' | 'outcome' | 'updatedAt'
    >[],
  ): number {
    return this.#db.transaction(() => {
      const id = Number(
        this.#db
          .prepare(
            `INSERT INTO campaigns (account_id, name, state, settings, total, created_at, start_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            campaign.accountId,
            campaign.name,
            campaign.state,
            campaign.settings,
            rows.length,
            Math.round(campaign.createdAt),
            Math.round(campaign.startAt),
          ).lastInsertRowid,
      );
      const insert = this.#db.prepare(
        `INSERT INTO campaign_rows (campaign_id, row_no, called_number, out_id, params, state, next_at, reason, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const r of rows) {
        insert.run(
          id,
          r.rowNo,
          r.calledNumber,
          r.outId,
          r.params,
          r.state,
          Math.round(r.nextAt),
          r.reason,
          Math.round(campaign.createdAt),
        );
      }
      return id;
    })();
  }

  find(id: number): CampaignRecord | undefined {
    const r = this.#find.get(id);
    return r && toCampaign(r);
  }

  list(accountId?: number): CampaignRecord[] {
    const rows =
      accountId === undefined
        ? this.#db.prepare<[], CampaignRow>('SELECT * FROM campaigns ORDER BY id').all()
        : this.#db
            .prepare<[number], CampaignRow>('SELECT * FROM campaigns WHERE account_id = ? ORDER BY id')
            .all(accountId);
    return rows.map(toCampaign);
  }

  listByState(state: CampaignState): CampaignRecord[] {
    return this.#db
      .prepare<[string], CampaignRow>('SELECT * FROM campaigns WHERE state = ? ORDER BY id')
      .all(state)
      .map(toCampaign);
  }

  setState(id: number, state: CampaignState, now: number): boolean {
    const final = state === 'done' || state === 'cancelled';
    return (
      this.#db
        .prepare(
          `UPDATE campaigns SET state = ?, completed_at = CASE WHEN ? THEN ? ELSE NULL END
           WHERE id = ? AND state NOT IN ('done', 'cancelled')`,
        )
        .run(state, final ? 1 : 0, Math.round(now), id).changes > 0
    );
  }

  due(campaignId: number, now: number, limit: number): CampaignRowRecord[] {
    return this.#due.all(campaignId, Math.round(now), limit).map(toRow);
  }

  nextDueAt(campaignId: number): number | undefined {
    const r = this.#db
      .prepare<[number], { at: number | null }>(
        `SELECT MIN(next_at) AS at FROM campaign_rows WHERE campaign_id = ? AND state IN ('pending', 'waiting')`,
      )
      .get(campaignId);
    return r?.at ?? undefined;
  }

  updateRow(campaignId: number, rowNo: number, patch: CampaignRowPatch, now: number): void {
    const keys = (Object.keys(patch) as (keyof CampaignRowPatch)[]).filter((k) => patch[k] !== undefined);
    const sig = keys.join(',');
    let stmt = this.#updates.get(sig);
    if (!stmt) {
      const sets = keys.map((k) => `${ROW_COLUMNS[k]} = @${k}`);
      sets.push('updated_at = @now');
      stmt = this.#db.prepare(
        `UPDATE campaign_rows SET ${sets.join(', ')} WHERE campaign_id = @campaignId AND row_no = @rowNo`,
      );
      this.#updates.set(sig, stmt);
    }
    const values: Record<string, unknown> = { campaignId, rowNo, now: Math.round(now) };
    for (const k of keys) values[k] = k === 'nextAt' ? Math.round(patch[k]!) : patch[k];
    stmt.run(values);
  }

  cancelRows(campaignId: number, now: number): number {
    return this.#db
      .prepare(
        `UPDATE campaign_rows SET state = 'cancelled', reason = 'campaign cancelled', updated_at = ?
         WHERE campaign_id = ? AND state IN ('pending', 'waiting')`,
      )
      .run(Math.round(now), campaignId).changes;
  }

  rowByCall(callId: string): CampaignRowRecord | undefined {
    const r = this.#rowByCall.get(callId);
    return r && toRow(r);
  }

  rows(
    campaignId: number,
    options: { state?: CampaignRowState; number?: string; offset?: number; limit?: number } = {},
  ): CampaignRowRecord[] {
    const terms = ['campaign_id = @campaignId'];
    if (options.state !== undefined) terms.push('state = @state');
    if (options.number !== undefined) terms.push('called_number = @number');
    return this.#db
      .prepare<Record<string, unknown>, RowRow>(
        `SELECT * FROM campaign_rows WHERE ${terms.join(' AND ')} ORDER BY row_no LIMIT @limit OFFSET @offset`,
      )
      .all({
        campaignId,
        state: options.state,
        number: options.number,
        limit: options.limit ?? -1,
        offset: options.offset ?? 0,
      })
      .map(toRow);
  }

  countRows(campaignId: number): Record<string, number> {
    const rows = this.#db
      .prepare<[number], { state: string; n: number }>(
        'SELECT state, COUNT(*) AS n FROM campaign_rows WHERE campaign_id = ? GROUP BY state',
      )
      .all(campaignId);
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }
}

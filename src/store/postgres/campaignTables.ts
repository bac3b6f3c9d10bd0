/** Campaigns and their rows in PostgreSQL (rows as in SQLite). */
import type { Async } from '../asyncStore.js';
import type { CampaignRecord, CampaignRowRecord, CampaignRowState, CampaignState } from '../records.js';
import type { CampaignRepository, CampaignRowPatch } from '../repositories.js';
import { type CampaignRow, ROW_COLUMNS, type RowRow, toCampaign, toRow } from '../sqlite/campaignTables.js';
import type { Queryable } from './pgDatabase.js';
import { changes, one, rows } from './rows.js';

/** Rows inserted per statement when a campaign is made (PostgreSQL takes at most 65535 parameters). */
const ROWS_PER_INSERT = 5000;

export class PgCampaignRepository implements Async<CampaignRepository> {
  constructor(
    readonly db: Queryable,
    readonly begin: <T>(fn: (db: Queryable) => Promise<T>) => Promise<T>,
  ) {}

  async create(
    campaign: Omit<CampaignRecord, 'id' | 'total' | 'completedAt'>,
    list: readonly Omit<
      CampaignRowRecord,
      'campaignId' | 'attempts' | 'lastCallId' | 'outcome' | 'updatedAt'
    >[],
  ): Promise<number> {
    return this.begin(async (db) => {
      const { id } = (await one<{ id: number }>(
        db,
        `INSERT INTO campaigns (account_id, name, state, settings, total, created_at, start_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [
          campaign.accountId,
          campaign.name,
          campaign.state,
          campaign.settings,
          list.length,
          campaign.createdAt,
          campaign.startAt,
        ],
      ))!;
      for (let i = 0; i < list.length; i += ROWS_PER_INSERT) {
        const chunk = list.slice(i, i + ROWS_PER_INSERT);
        // One array per column, unnested together: one statement for thousands of rows.
        await changes(
          db,
          `INSERT INTO campaign_rows (campaign_id, row_no, called_number, out_id, params, state, next_at, reason, updated_at)
           SELECT $1::bigint, *, $9::bigint FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[])`,
          [
            id,
            chunk.map((r) => r.rowNo),
            chunk.map((r) => r.calledNumber),
            chunk.map((r) => r.outId),
            chunk.map((r) => r.params),
            chunk.map((r) => r.state),
            chunk.map((r) => Math.round(r.nextAt)),
            chunk.map((r) => r.reason),
            campaign.createdAt,
          ],
        );
      }
      return id;
    });
  }

  async find(id: number): Promise<CampaignRecord | undefined> {
    const r = await one<CampaignRow>(this.db, 'SELECT * FROM campaigns WHERE id = $1', [id]);
    return r && toCampaign(r);
  }

  async list(accountId?: number): Promise<CampaignRecord[]> {
    const r =
      accountId === undefined
        ? await rows<CampaignRow>(this.db, 'SELECT * FROM campaigns ORDER BY id')
        : await rows<CampaignRow>(this.db, 'SELECT * FROM campaigns WHERE account_id = $1 ORDER BY id', [
            accountId,
          ]);
    return r.map(toCampaign);
  }

  async listByState(state: CampaignState): Promise<CampaignRecord[]> {
    return (
      await rows<CampaignRow>(this.db, 'SELECT * FROM campaigns WHERE state = $1 ORDER BY id', [state])
    ).map(toCampaign);
  }

  async setState(id: number, state: CampaignState, now: number): Promise<boolean> {
    const final = state === 'done' || state === 'cancelled';
    return (
      (await changes(
        this.db,
        `UPDATE campaigns SET state = $1, completed_at = $2 WHERE id = $3 AND state NOT IN ('done', 'cancelled')`,
        [state, final ? now : null, id],
      )) > 0
    );
  }

  async due(campaignId: number, now: number, limit: number): Promise<CampaignRowRecord[]> {
    return (
      await rows<RowRow>(
        this.db,
        `SELECT * FROM campaign_rows WHERE campaign_id = $1 AND state IN ('pending', 'waiting') AND next_at <= $2
         ORDER BY next_at, row_no LIMIT $3`,
        [campaignId, now, limit],
      )
    ).map(toRow);
  }

  async nextDueAt(campaignId: number): Promise<number | undefined> {
    const r = await one<{ at: number | null }>(
      this.db,
      `SELECT MIN(next_at) AS at FROM campaign_rows WHERE campaign_id = $1 AND state IN ('pending', 'waiting')`,
      [campaignId],
    );
    return r?.at ?? undefined;
  }

  async updateRow(campaignId: number, rowNo: number, patch: CampaignRowPatch, now: number): Promise<void> {
    const values: unknown[] = [campaignId, rowNo, now];
    const sets = ['updated_at = $3'];
    for (const k of Object.keys(patch) as (keyof CampaignRowPatch)[]) {
      if (patch[k] === undefined) continue;
      values.push(patch[k]);
      sets.push(`${ROW_COLUMNS[k]} = $${values.length}`);
    }
    await changes(
      this.db,
      `UPDATE campaign_rows SET ${sets.join(', ')} WHERE campaign_id = $1 AND row_no = $2`,
      values,
    );
  }

  async cancelRows(campaignId: number, now: number): Promise<number> {
    return changes(
      this.db,
      `UPDATE campaign_rows SET state = 'cancelled', reason = 'campaign cancelled', updated_at = $1
       WHERE campaign_id = $2 AND state IN ('pending', 'waiting')`,
      [now, campaignId],
    );
  }

  async rowByCall(callId: string): Promise<CampaignRowRecord | undefined> {
    const r = await one<RowRow>(this.db, 'SELECT * FROM campaign_rows WHERE last_call_id = $1', [callId]);
    return r && toRow(r);
  }

  async rows(
    campaignId: number,
    options: { state?: CampaignRowState; number?: string; offset?: number; limit?: number } = {},
  ): Promise<CampaignRowRecord[]> {
    const values: unknown[] = [campaignId];
    const terms = ['campaign_id = $1'];
    if (options.state !== undefined) {
      values.push(options.state);
      terms.push(`state = $${values.length}`);
    }
    if (options.number !== undefined) {
      values.push(options.number);
      terms.push(`called_number = $${values.length}`);
    }
    values.push(options.limit ?? null, options.offset ?? 0);
    return (
      await rows<RowRow>(
        this.db,
        `SELECT * FROM campaign_rows WHERE ${terms.join(' AND ')} ORDER BY row_no
         LIMIT $${values.length - 1} OFFSET $${values.length}`,
        values,
      )
    ).map(toRow);
  }

  async countRows(campaignId: number): Promise<Record<string, number>> {
    const r = await rows<{ state: string; n: number }>(
      this.db,
      'SELECT state, COUNT(*) AS n FROM campaign_rows WHERE campaign_id = $1 GROUP BY state',
      [campaignId],
    );
    return Object.fromEntries(r.map((x) => [x.state, x.n]));
  }
}

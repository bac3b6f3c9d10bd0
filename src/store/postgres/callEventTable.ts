/** A call's timeline events in PostgreSQL (`call_events`, migration 3; rows as in SQLite). */
import type { Async } from '../asyncStore.js';
import type { CallEventRecord } from '../records.js';
import type { CallEventRepository } from '../repositories.js';
import type { Queryable } from './pgDatabase.js';
import { changes, rows } from './rows.js';

/** Rows looked at per sweep step: old events are deleted a batch at a time, oldest first. */
const SWEEP_BATCH = 5000;

/**
 * As in SQLite, rows are numbered in the order written (about the order of time), so the retention
 * sweep deletes from the start of the table and stops at the first batch holding a newer row.
 */
export class PgCallEventRepository implements Async<CallEventRepository> {
  constructor(readonly db: Queryable) {}

  /** One statement: all of the batch lands or none, numbered in the order given (unnest keeps it). */
  async append(records: readonly CallEventRecord[]): Promise<void> {
    if (records.length === 0) return;
    await changes(
      this.db,
      `INSERT INTO call_events (call_id, at, type, data)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[])`,
      [
        records.map((r) => r.callId),
        records.map((r) => Math.round(r.at)),
        records.map((r) => r.type),
        records.map((r) => r.data),
      ],
    );
  }

  async listByCall(callId: string): Promise<CallEventRecord[]> {
    return rows<CallEventRecord>(
      this.db,
      'SELECT call_id AS "callId", at, type, data FROM call_events WHERE call_id = $1 ORDER BY id',
      [callId],
    );
  }

  async removeBefore(at: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const batch = await rows<{ id: number; at: number }>(
        this.db,
        'SELECT id, at FROM call_events ORDER BY id LIMIT $1',
        [SWEEP_BATCH],
      );
      const newer = batch.findIndex((r) => r.at >= at);
      const upTo = newer === -1 ? batch.at(-1)?.id : newer === 0 ? undefined : batch[newer - 1]!.id;
      if (upTo === undefined) return removed;
      removed += await changes(this.db, 'DELETE FROM call_events WHERE id <= $1', [upTo]);
      if (newer !== -1) return removed;
    }
  }
}

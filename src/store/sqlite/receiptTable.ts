import type { ReceiptRecord, ReceiptState, ReceiptType } from '../records.js';
import type { ReceiptRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

export interface ReceiptRow {
  id: number;
  receipt_id: string;
  account_id: number;
  call_id: string;
  type: ReceiptType;
  stream: string;
  payload: string;
  state: ReceiptState;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export const toRecord = (r: ReceiptRow): ReceiptRecord => ({
  id: r.id,
  receiptId: r.receipt_id,
  accountId: r.account_id,
  callId: r.call_id,
  type: r.type,
  stream: r.stream,
  payload: r.payload,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
});

export class SqliteReceiptRepository implements ReceiptRepository {
  readonly #db: SqliteDatabase;
  readonly #append;
  readonly #due;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#append = db.prepare(
      `INSERT OR IGNORE INTO receipts (receipt_id, account_id, call_id, type, stream, payload, next_attempt_at, created_at)
       VALUES (@receiptId, @accountId, @callId, @type, @stream, @payload, @nextAttemptAt, @createdAt)`,
    );
    this.#due = db.prepare<[number, number, number], ReceiptRow>(
      `SELECT * FROM receipts r
       WHERE r.state = 'pending' AND r.next_attempt_at <= ?
         AND NOT EXISTS (SELECT 1 FROM receipts e WHERE e.call_id = r.call_id AND e.stream = r.stream
                         AND e.state = 'pending' AND e.id < r.id AND e.next_attempt_at > ?)
       ORDER BY r.id LIMIT ?`,
    );
  }

  append(record: Omit<ReceiptRecord, 'id' | 'state' | 'attempts' | 'lastError' | 'deliveredAt'>): boolean {
    return this.#append.run(record).changes === 1;
  }

  due(now: number, limit: number): ReceiptRecord[] {
    return this.#due.all(now, now, limit).map(toRecord);
  }

  markDelivered(ids: readonly number[], at: number): void {
    const stmt = this.#db.prepare(
      "UPDATE receipts SET state = 'delivered', delivered_at = ?, attempts = attempts + 1 WHERE id = ?",
    );
    this.#db.transaction(() => {
      for (const id of ids) stmt.run(at, id);
    })();
  }

  markFailed(ids: readonly number[], error: string, nextAttemptAt: number | undefined): void {
    const stmt =
      nextAttemptAt === undefined
        ? this.#db.prepare(
            "UPDATE receipts SET state = 'abandoned', attempts = attempts + 1, last_error = ? WHERE id = ?",
          )
        : this.#db.prepare(
            'UPDATE receipts SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?',
          );
    this.#db.transaction(() => {
      for (const id of ids) {
        if (nextAttemptAt === undefined) stmt.run(error, id);
        else stmt.run(error, nextAttemptAt, id);
      }
    })();
  }

  listByCall(callId: string): ReceiptRecord[] {
    return this.#db
      .prepare<[string], ReceiptRow>('SELECT * FROM receipts WHERE call_id = ? ORDER BY id')
      .all(callId)
      .map(toRecord);
  }

  nextDueAt(now: number): number | undefined {
    const row = this.#db
      .prepare<[number], { t: number | null }>(
        "SELECT MIN(next_attempt_at) AS t FROM receipts WHERE state = 'pending' AND next_attempt_at > ?",
      )
      .get(now);
    return row?.t ?? undefined;
  }
}

/** Calls, their callback exchanges and the receipt outbox in PostgreSQL (rows as in SQLite). */
import type { Async, CallFence, ReceiptLeases } from '../asyncStore.js';
import type {
  CallbackExchangeRecord,
  CallCursor,
  CallFilter,
  CallRecord,
  CallState,
  ReceiptRecord,
} from '../records.js';
import type {
  CallbackExchangeRepository,
  CallPatch,
  CallRepository,
  ReceiptRepository,
} from '../repositories.js';
import { type CallRow, PATCH_COLUMNS, toRecord as toCall } from '../sqlite/callTable.js';
import { type ReceiptRow, toRecord as toReceipt } from '../sqlite/receiptTable.js';
import type { Queryable } from './pgDatabase.js';
import { bindValue, changes, one, rows } from './rows.js';

const CALL_COLUMNS: readonly (keyof CallRecord)[] = [
  'callId',
  'accountId',
  'state',
  'calledNumber',
  'calledShowNumber',
  'outId',
  'dynamicId',
  'request',
  'createdAt',
  'originateAt',
  'ringAt',
  'answerAt',
  'endAt',
  'statusCode',
  'smartStatusCode',
  'statusMsg',
  'hangupDirection',
  'trunk',
  'sipStatus',
  'sipReason',
  'dtmf',
  'earlyMediaCode',
  'recordPath',
  'recordBeginAt',
  'parallelLegHangupCause',
  'amd',
];
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const INSERT_CALL = `INSERT INTO calls (${CALL_COLUMNS.map(snake).join(', ')})
  VALUES (${CALL_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT (call_id) DO NOTHING`;

/** Each inserted column's `"name":`, a key of the JSON objects `insertAll` sends. */
const JSON_KEYS = CALL_COLUMNS.map((k) => `${JSON.stringify(snake(k))}:`);
/**
 * A batch of calls in one statement, whatever its size: one JSON parameter, an array with an object
 * per call, read into rows of `calls` by PostgreSQL (a key left out is NULL). Named, so each
 * connection parses and plans it once. One statement is one transaction: the batch lands whole or
 * not at all, with no BEGIN/COMMIT round trips. (One JSON text costs the client far less than a
 * text array per column: no per-element escaping.)
 */
const INSERT_CALLS = {
  name: 'smartcall_insert_calls',
  text: `INSERT INTO calls (${CALL_COLUMNS.map(snake).join(', ')})
  SELECT ${CALL_COLUMNS.map(snake).join(', ')} FROM json_populate_recordset(NULL::calls, $1::json)
  ON CONFLICT (call_id) DO NOTHING RETURNING call_id`,
};

/** `records` as INSERT_CALLS's parameter: only the fields that are set, bound as every write binds. */
function batchJson(records: readonly CallRecord[]): string {
  let json = '[';
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    let row = '';
    for (let c = 0; c < CALL_COLUMNS.length; c++) {
      const v = r[CALL_COLUMNS[c]!];
      if (v === null || v === undefined) continue;
      row += `${row ? ',' : ''}${JSON_KEYS[c]}${JSON.stringify(bindValue(v))}`;
    }
    json += `${i ? ',' : ''}{${row}}`;
  }
  return `${json}]`;
}

const FILTER_COLUMNS: Record<keyof CallFilter, string> = {
  accountId: 'account_id = ',
  calledNumber: 'called_number = ',
  outId: 'out_id = ',
  callId: 'call_id = ',
  state: 'state = ',
  statusCode: 'status_code = ',
  from: 'created_at >= ',
  to: 'created_at < ',
};

export class PgCallRepository implements Async<CallRepository> {
  constructor(readonly db: Queryable) {}

  async insert(record: CallRecord): Promise<boolean> {
    return (
      (await changes(
        this.db,
        INSERT_CALL,
        CALL_COLUMNS.map((k) => record[k] ?? null),
      )) === 1
    );
  }

  /**
   * Inserts `records` in one statement (one round trip): for each, false when its CallId already
   * existed (or came earlier in the same batch). The CallWriter's group commit on PostgreSQL.
   */
  async insertAll(records: readonly CallRecord[]): Promise<boolean[]> {
    if (records.length === 0) return [];
    const result = await this.db.query<{ call_id: string }>({
      ...INSERT_CALLS,
      values: [batchJson(records)],
    });
    const inserted = new Set(result.rows.map((r) => r.call_id));
    return records.map((r) => inserted.delete(r.callId));
  }

  async find(callId: string): Promise<CallRecord | undefined> {
    const row = await one<CallRow>(this.db, 'SELECT * FROM calls WHERE call_id = $1', [callId]);
    return row && toCall(row);
  }

  async listByState(states: readonly CallState[], limit = 10_000): Promise<CallRecord[]> {
    if (states.length === 0) return [];
    return (
      await rows<CallRow>(
        this.db,
        'SELECT * FROM calls WHERE state = ANY($1) ORDER BY created_at, call_id LIMIT $2',
        [states, limit],
      )
    ).map(toCall);
  }

  async update(callId: string, patch: CallPatch): Promise<boolean> {
    return this.#update(callId, patch, undefined);
  }

  /**
   * `update` only while the call is `fence.node`'s and not in a terminal state (unless
   * `fence.terminalOk`); an empty patch checks (and locks) the row. False when the fence did not hold.
   */
  async updateFenced(callId: string, patch: CallPatch, fence: CallFence): Promise<boolean> {
    return this.#update(callId, patch, fence);
  }

  async #update(callId: string, patch: CallPatch, fence: CallFence | undefined): Promise<boolean> {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      const column = PATCH_COLUMNS[key as keyof CallPatch];
      if (!column) throw new Error(`not a changeable call field: ${key}`);
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    }
    if (sets.length === 0 && !fence) return (await this.find(callId)) !== undefined;
    if (sets.length === 0) sets.push('call_id = call_id');
    values.push(callId);
    let where = `call_id = $${values.length}`;
    if (fence) {
      values.push(fence.node);
      where += ` AND claimed_by = $${values.length}`;
      if (!fence.terminalOk) where += " AND state NOT IN ('ended', 'failed')";
    }
    return (await changes(this.db, `UPDATE calls SET ${sets.join(', ')} WHERE ${where}`, values)) > 0;
  }

  async countByState(): Promise<Record<string, number>> {
    const r = await rows<{ state: string; n: number }>(
      this.db,
      'SELECT state, COUNT(*) AS n FROM calls GROUP BY state',
    );
    return Object.fromEntries(r.map((x) => [x.state, x.n]));
  }

  async countToCallee(
    accountId: number,
    calledNumber: string,
    action: string,
    since: readonly number[],
  ): Promise<number[]> {
    if (since.length === 0) return [];
    // The action is the stored request's script (src/contract/scriptedCall.ts); SmartCalls have none.
    const sums = since.map((_, i) => `COUNT(*) FILTER (WHERE created_at >= $${i + 5}) AS n${i}`).join(', ');
    const row = await one<Record<string, number>>(
      this.db,
      `SELECT ${sums} FROM calls
       WHERE account_id = $1 AND called_number = $2 AND created_at >= $3
         AND COALESCE(request::jsonb #>> '{script,action}', 'SmartCall') = $4`,
      [accountId, calledNumber, Math.min(...since), action, ...since],
    );
    return since.map((_, i) => row?.[`n${i}`] ?? 0);
  }

  async page(filter: CallFilter, after: CallCursor | undefined, limit: number): Promise<CallRecord[]> {
    const terms: string[] = [];
    const values: unknown[] = [];
    for (const [k, prefix] of Object.entries(FILTER_COLUMNS) as [keyof CallFilter, string][]) {
      if (filter[k] === undefined) continue;
      values.push(filter[k]);
      terms.push(`${prefix}$${values.length}`);
    }
    if (after) {
      values.push(after.createdAt, after.callId);
      terms.push(`(created_at, call_id) < ($${values.length - 1}, $${values.length})`);
    }
    values.push(limit);
    const where = terms.length > 0 ? `WHERE ${terms.join(' AND ')}` : '';
    return (
      await rows<CallRow>(
        this.db,
        `SELECT * FROM calls ${where} ORDER BY created_at DESC, call_id DESC LIMIT $${values.length}`,
        values,
      )
    ).map(toCall);
  }
}

interface ExchangeRow {
  call_id: string;
  content_type: string;
  content: string;
  outcome: string;
  http_status: number | null;
  reply: string | null;
  action: string | null;
  detail: string | null;
  latency_ms: number;
  created_at: number;
}

export class PgCallbackExchangeRepository implements Async<CallbackExchangeRepository> {
  constructor(readonly db: Queryable) {}

  async insert(r: CallbackExchangeRecord): Promise<void> {
    await changes(
      this.db,
      `INSERT INTO callback_exchanges (call_id, content_type, content, outcome, http_status, reply, action, detail,
        latency_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        r.callId,
        r.contentType,
        r.content,
        r.outcome,
        r.httpStatus,
        r.reply,
        r.action,
        r.detail,
        r.latencyMs,
        r.createdAt,
      ],
    );
  }

  async listByCall(callId: string): Promise<CallbackExchangeRecord[]> {
    const r = await rows<ExchangeRow>(
      this.db,
      'SELECT * FROM callback_exchanges WHERE call_id = $1 ORDER BY id',
      [callId],
    );
    return r.map((x) => ({
      callId: x.call_id,
      contentType: x.content_type,
      content: x.content,
      outcome: x.outcome,
      httpStatus: x.http_status,
      reply: x.reply,
      action: x.action,
      detail: x.detail,
      latencyMs: x.latency_ms,
      createdAt: x.created_at,
    }));
  }
}

/** Lock id serialising the claims of the receipt pushers sharing the outbox (any fixed number of ours). */
const RECEIPT_CLAIM_LOCK = 0x5ca11d;

/**
 * The shared outbox: each pusher claims what it sends under a lease, so N pushers never send one
 * receipt at the same time nor a call's receipts out of order (ReceiptLeases, docs/scale-out.md).
 */
export class PgReceiptRepository implements Async<ReceiptRepository>, ReceiptLeases {
  constructor(
    readonly db: Queryable,
    private readonly begin: <T>(fn: (db: Queryable) => Promise<T>) => Promise<T> = (fn) => fn(db),
  ) {}

  /**
   * The lease is the receipt's next attempt time: a claimed receipt is not due (to any pusher)
   * until `leaseUntil`, and, being an earlier receipt of its call waiting, holds that call's later
   * ones of the same stream back, as a receipt waiting for its retry does. Claims are serialised by
   * a transaction advisory lock, so the second claimer's query sees the first one's leases.
   */
  async claim(now: number, limit: number, leaseUntil: number): Promise<ReceiptRecord[]> {
    return this.begin(async (db) => {
      await db.query('SELECT pg_advisory_xact_lock($1)', [RECEIPT_CLAIM_LOCK]);
      return (
        await rows<ReceiptRow>(
          db,
          `UPDATE receipts SET next_attempt_at = $3 WHERE id IN (
             SELECT r.id FROM receipts r
             WHERE r.state = 'pending' AND r.next_attempt_at <= $1
               AND NOT EXISTS (SELECT 1 FROM receipts e WHERE e.call_id = r.call_id AND e.stream = r.stream
                               AND e.state = 'pending' AND e.id < r.id AND e.next_attempt_at > $1)
             ORDER BY r.id LIMIT $2)
           RETURNING *`,
          [now, limit, leaseUntil],
        )
      )
        .map(toReceipt)
        .sort((a, b) => a.id - b.id);
    });
  }

  async renew(ids: readonly number[], leaseUntil: number, until: number): Promise<number[]> {
    if (ids.length === 0) return [];
    return (
      await rows<{ id: number }>(
        this.db,
        `UPDATE receipts SET next_attempt_at = $1
         WHERE id = ANY($2) AND state = 'pending' AND next_attempt_at = $3 RETURNING id`,
        [until, ids, leaseUntil],
      )
    ).map((r) => r.id);
  }

  async release(ids: readonly number[], leaseUntil: number, at: number): Promise<void> {
    if (ids.length === 0) return;
    await changes(
      this.db,
      `UPDATE receipts SET next_attempt_at = $1
       WHERE id = ANY($2) AND state = 'pending' AND next_attempt_at = $3`,
      [at, ids, leaseUntil],
    );
  }

  async markDeliveredUnder(ids: readonly number[], at: number, leaseUntil: number): Promise<number> {
    if (ids.length === 0) return 0;
    return changes(
      this.db,
      `UPDATE receipts SET state = 'delivered', delivered_at = $1, attempts = attempts + 1
       WHERE id = ANY($2) AND state = 'pending' AND next_attempt_at = $3`,
      [at, ids, leaseUntil],
    );
  }

  async markFailedUnder(
    ids: readonly number[],
    error: string,
    nextAttemptAt: number | undefined,
    leaseUntil: number,
  ): Promise<void> {
    if (ids.length === 0) return;
    await changes(
      this.db,
      `UPDATE receipts SET attempts = attempts + 1, last_error = $1,
         state = CASE WHEN $2::bigint IS NULL THEN 'abandoned' ELSE state END,
         next_attempt_at = COALESCE($2::bigint, next_attempt_at)
       WHERE id = ANY($3) AND state = 'pending' AND next_attempt_at = $4`,
      [error, nextAttemptAt ?? null, ids, leaseUntil],
    );
  }

  async append(
    r: Omit<ReceiptRecord, 'id' | 'state' | 'attempts' | 'lastError' | 'deliveredAt'>,
  ): Promise<boolean> {
    return (
      (await changes(
        this.db,
        `INSERT INTO receipts (receipt_id, account_id, call_id, type, stream, payload, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (receipt_id) DO NOTHING`,
        [r.receiptId, r.accountId, r.callId, r.type, r.stream, r.payload, r.nextAttemptAt, r.createdAt],
      )) === 1
    );
  }

  async due(now: number, limit: number): Promise<ReceiptRecord[]> {
    return (
      await rows<ReceiptRow>(
        this.db,
        `SELECT * FROM receipts r
         WHERE r.state = 'pending' AND r.next_attempt_at <= $1
           AND NOT EXISTS (SELECT 1 FROM receipts e WHERE e.call_id = r.call_id AND e.stream = r.stream
                           AND e.state = 'pending' AND e.id < r.id AND e.next_attempt_at > $1)
         ORDER BY r.id LIMIT $2`,
        [now, limit],
      )
    ).map(toReceipt);
  }

  async markDelivered(ids: readonly number[], at: number): Promise<void> {
    if (ids.length === 0) return;
    await changes(
      this.db,
      "UPDATE receipts SET state = 'delivered', delivered_at = $1, attempts = attempts + 1 WHERE id = ANY($2)",
      [at, ids],
    );
  }

  async markFailed(ids: readonly number[], error: string, nextAttemptAt: number | undefined): Promise<void> {
    if (ids.length === 0) return;
    if (nextAttemptAt === undefined) {
      await changes(
        this.db,
        "UPDATE receipts SET state = 'abandoned', attempts = attempts + 1, last_error = $1 WHERE id = ANY($2)",
        [error, ids],
      );
    } else {
      await changes(
        this.db,
        'UPDATE receipts SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = ANY($3)',
        [error, nextAttemptAt, ids],
      );
    }
  }

  async listByCall(callId: string): Promise<ReceiptRecord[]> {
    return (
      await rows<ReceiptRow>(this.db, 'SELECT * FROM receipts WHERE call_id = $1 ORDER BY id', [callId])
    ).map(toReceipt);
  }

  async nextDueAt(now: number): Promise<number | undefined> {
    const row = await one<{ t: number | null }>(
      this.db,
      "SELECT MIN(next_attempt_at) AS t FROM receipts WHERE state = 'pending' AND next_attempt_at > $1",
      [now],
    );
    return row?.t ?? undefined;
  }
}

import type Database from 'better-sqlite3';
import type { CallCursor, CallFilter, CallRecord, CallState } from '../records.js';
import type { CallPatch, CallRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

export interface CallRow {
  call_id: string;
  account_id: number;
  state: CallState;
  called_number: string;
  called_show_number: string;
  out_id: string | null;
  dynamic_id: string | null;
  request: string;
  created_at: number;
  originate_at: number | null;
  ring_at: number | null;
  answer_at: number | null;
  end_at: number | null;
  status_code: string | null;
  smart_status_code: string | null;
  status_msg: string | null;
  hangup_direction: string | null;
  trunk: string | null;
  sip_status: number | null;
  sip_reason: string | null;
  dtmf: string | null;
  early_media_code: string | null;
  record_path: string | null;
  record_begin_at: number | null;
  parallel_leg_hangup_cause: string | null;
  amd: string | null;
}

export const toRecord = (r: CallRow): CallRecord => ({
  callId: r.call_id,
  accountId: r.account_id,
  state: r.state,
  calledNumber: r.called_number,
  calledShowNumber: r.called_show_number,
  outId: r.out_id,
  dynamicId: r.dynamic_id,
  request: r.request,
  createdAt: r.created_at,
  originateAt: r.originate_at,
  ringAt: r.ring_at,
  answerAt: r.answer_at,
  endAt: r.end_at,
  statusCode: r.status_code,
  smartStatusCode: r.smart_status_code,
  statusMsg: r.status_msg,
  hangupDirection: r.hangup_direction,
  trunk: r.trunk,
  sipStatus: r.sip_status,
  sipReason: r.sip_reason,
  dtmf: r.dtmf,
  earlyMediaCode: r.early_media_code,
  recordPath: r.record_path,
  recordBeginAt: r.record_begin_at,
  parallelLegHangupCause: r.parallel_leg_hangup_cause,
  amd: r.amd,
});

export const PATCH_COLUMNS: Record<keyof CallPatch, string> = {
  state: 'state',
  originateAt: 'originate_at',
  ringAt: 'ring_at',
  answerAt: 'answer_at',
  endAt: 'end_at',
  statusCode: 'status_code',
  smartStatusCode: 'smart_status_code',
  statusMsg: 'status_msg',
  hangupDirection: 'hangup_direction',
  dynamicId: 'dynamic_id',
  trunk: 'trunk',
  sipStatus: 'sip_status',
  sipReason: 'sip_reason',
  dtmf: 'dtmf',
  earlyMediaCode: 'early_media_code',
  recordPath: 'record_path',
  recordBeginAt: 'record_begin_at',
  parallelLegHangupCause: 'parallel_leg_hangup_cause',
  amd: 'amd',
};

/**
 * The WHERE terms of a call-list filter, by field: one prepared statement per combination used.
 * A filter on a key that picks out few calls (number, OutId, CallId) must be searched through its
 * own index; SQLite without statistics would rather walk the newest-first index of the account or
 * of all calls (no sort needed), which at a million calls means scanning most of them. A unary `+`
 * keeps the other terms from offering an index, so the planner takes the key's.
 */
const FILTER_TERMS: Record<keyof CallFilter, (c: (column: string) => string) => string> = {
  accountId: (c) => `${c('account_id')} = @accountId`,
  calledNumber: () => 'called_number = @calledNumber',
  outId: () => 'out_id = @outId',
  callId: () => 'call_id = @callId',
  state: (c) => `${c('state')} = @state`,
  statusCode: (c) => `${c('status_code')} = @statusCode`,
  from: (c) => `${c('created_at')} >= @from`,
  to: (c) => `${c('created_at')} < @to`,
};
const SELECTIVE: readonly (keyof CallFilter)[] = ['calledNumber', 'outId', 'callId'];

export class SqliteCallRepository implements CallRepository {
  readonly #db: SqliteDatabase;
  readonly #insert;
  readonly #find;
  readonly #pages = new Map<string, Database.Statement<Record<string, unknown>, CallRow>>();

  constructor(db: SqliteDatabase) {
    this.#db = db;
    // OR IGNORE + changes: a CallId collision is reported, not thrown, on the hot path.
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO calls (call_id, account_id, state, called_number, called_show_number, out_id,
        dynamic_id, request, created_at, originate_at, ring_at, answer_at, end_at, status_code,
        smart_status_code, status_msg, hangup_direction, trunk, sip_status, sip_reason, dtmf, early_media_code,
        record_path, record_begin_at, parallel_leg_hangup_cause, amd)
       VALUES (@callId, @accountId, @state, @calledNumber, @calledShowNumber, @outId, @dynamicId, @request,
        @createdAt, @originateAt, @ringAt, @answerAt, @endAt, @statusCode, @smartStatusCode, @statusMsg,
        @hangupDirection, @trunk, @sipStatus, @sipReason, @dtmf, @earlyMediaCode, @recordPath, @recordBeginAt,
        @parallelLegHangupCause, @amd)`,
    );
    this.#find = db.prepare<[string], CallRow>('SELECT * FROM calls WHERE call_id = ?');
  }

  insert(record: CallRecord): boolean {
    // `amd` is optional in a record (calls made before detection existed): stored as null.
    return this.#insert.run(record.amd === undefined ? { ...record, amd: null } : record).changes === 1;
  }

  find(callId: string): CallRecord | undefined {
    const row = this.#find.get(callId);
    return row && toRecord(row);
  }

  listByState(states: readonly CallState[], limit = 10_000): CallRecord[] {
    if (states.length === 0) return [];
    const marks = states.map(() => '?').join(', ');
    return this.#db
      .prepare<unknown[], CallRow>(
        `SELECT * FROM calls WHERE state IN (${marks}) ORDER BY created_at, call_id LIMIT ?`,
      )
      .all(...states, limit)
      .map(toRecord);
  }

  update(callId: string, patch: CallPatch): boolean {
    const columns: string[] = [];
    const values: unknown[] = [];
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      const column = PATCH_COLUMNS[key as keyof CallPatch];
      if (!column) throw new Error(`not a changeable call field: ${key}`);
      columns.push(`${column} = ?`);
      values.push(value);
    }
    if (columns.length === 0) return this.find(callId) !== undefined;
    return (
      this.#db.prepare(`UPDATE calls SET ${columns.join(', ')} WHERE call_id = ?`).run(...values, callId)
        .changes > 0
    );
  }

  countToCallee(accountId: number, calledNumber: string, action: string, since: readonly number[]): number[] {
    if (since.length === 0) return [];
    // The action is the stored request's script (src/contract/scriptedCall.ts); SmartCalls have none.
    const sums = since.map((_, i) => `COALESCE(SUM(created_at >= @s${i}), 0) AS n${i}`).join(', ');
    const row = this.#db
      .prepare<Record<string, unknown>, Record<string, number>>(
        `SELECT ${sums} FROM calls
         WHERE account_id = @accountId AND called_number = @calledNumber AND created_at >= @oldest
           AND COALESCE(json_extract(request, '$.script.action'), 'SmartCall') = @action`,
      )
      .get({
        accountId,
        calledNumber,
        action,
        oldest: Math.min(...since),
        ...Object.fromEntries(since.map((s, i) => [`s${i}`, s])),
      })!;
    return since.map((_, i) => row[`n${i}`] ?? 0);
  }

  page(filter: CallFilter, after: CallCursor | undefined, limit: number): CallRecord[] {
    const fields = (Object.keys(FILTER_TERMS) as (keyof CallFilter)[]).filter((k) => filter[k] !== undefined);
    const key = fields.join(',') + (after ? ',after' : '');
    let stmt = this.#pages.get(key);
    if (!stmt) {
      const keyed = fields.some((k) => SELECTIVE.includes(k));
      const column = (name: string) => (keyed ? `+${name}` : name);
      const terms = fields.map((k) => FILTER_TERMS[k](column));
      // A row value comparison: SQLite seeks the (…, created_at, call_id) index to the cursor.
      if (after) terms.push(`(${column('created_at')}, call_id) < (@afterCreatedAt, @afterCallId)`);
      const where = terms.length > 0 ? `WHERE ${terms.join(' AND ')}` : '';
      stmt = this.#db.prepare<Record<string, unknown>, CallRow>(
        `SELECT * FROM calls ${where} ORDER BY created_at DESC, call_id DESC LIMIT @limit`,
      );
      this.#pages.set(key, stmt);
    }
    const params: Record<string, unknown> = { limit };
    for (const k of fields) params[k] = filter[k];
    if (after) {
      params.afterCreatedAt = after.createdAt;
      params.afterCallId = after.callId;
    }
    return stmt.all(params).map(toRecord);
  }

  countByState(): Record<string, number> {
    const rows = this.#db
      .prepare<[], { state: string; n: number }>('SELECT state, COUNT(*) AS n FROM calls GROUP BY state')
      .all();
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }
}

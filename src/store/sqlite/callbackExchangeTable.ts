import type { CallbackExchangeRecord } from '../records.js';
import type { CallbackExchangeRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

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

export class SqliteCallbackExchangeRepository implements CallbackExchangeRepository {
  readonly #insert;
  readonly #byCall;

  constructor(db: SqliteDatabase) {
    this.#insert = db.prepare(
      `INSERT INTO callback_exchanges (call_id, content_type, content, outcome, http_status, reply, action, detail,
        latency_ms, created_at)
       VALUES (@callId, @contentType, @content, @outcome, @httpStatus, @reply, @action, @detail, @latencyMs, @createdAt)`,
    );
    this.#byCall = db.prepare<[string], ExchangeRow>(
      'SELECT * FROM callback_exchanges WHERE call_id = ? ORDER BY id',
    );
  }

  insert(record: CallbackExchangeRecord): void {
    this.#insert.run(record);
  }

  listByCall(callId: string): CallbackExchangeRecord[] {
    return this.#byCall.all(callId).map((r) => ({
      callId: r.call_id,
      contentType: r.content_type,
      content: r.content,
      outcome: r.outcome,
      httpStatus: r.http_status,
      reply: r.reply,
      action: r.action,
      detail: r.detail,
      latencyMs: r.latency_ms,
      createdAt: r.created_at,
    }));
  }
}

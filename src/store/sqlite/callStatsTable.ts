import type { CallStats, CallStatsQuery, CallStatsRepository } from '../callStats.js';
import type { SqliteDatabase } from './database.js';

const IN_PROGRESS = "('dialing', 'ringing', 'early_media', 'answered')";

/**
 * The overview's counts in SQL: each query walks the window's range of a created_at index. The
 * calls' one (migration 20) holds every column counted, so a window costs its index entries and no
 * row reads; it is named (INDEXED BY) because without statistics SQLite would take the account's
 * index for an account's window and read each row.
 */
export class SqliteCallStatsRepository implements CallStatsRepository {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  overview(q: CallStatsQuery): CallStats {
    const db = this.#db;
    const acc = q.accountId !== undefined;
    // JS numbers bind as REAL: the bucket is truncated to an integer in SQL (CAST) to group by it.
    const params = { from: q.from, to: q.to, bucket: q.bucketMs, ...(acc && { acc: q.accountId }) };
    const callsAcc = acc ? 'AND account_id = @acc' : '';
    const calls = db
      .prepare(
        `SELECT CAST((created_at - @from) / @bucket AS INTEGER) AS bucket, trunk, status_code AS statusCode, state,
           COUNT(*) AS count, SUM(answer_at IS NOT NULL) AS answered,
           SUM(CASE WHEN originate_at IS NOT NULL AND end_at > originate_at THEN end_at - originate_at ELSE 0 END) AS busyMs
         FROM calls INDEXED BY calls_overview WHERE created_at >= @from AND created_at < @to ${callsAcc}
         GROUP BY bucket, trunk, statusCode, state`,
      )
      .all(params) as CallStats['calls'];
    const cps = db
      .prepare(
        `SELECT CAST((s * 1000 - @from) / @bucket AS INTEGER) AS bucket, trunk, MAX(n) AS peak FROM (
           SELECT trunk, originate_at / 1000 AS s, COUNT(*) AS n FROM calls INDEXED BY calls_overview
           WHERE created_at >= @from AND created_at < @to AND originate_at IS NOT NULL AND trunk IS NOT NULL ${callsAcc}
           GROUP BY trunk, s)
         GROUP BY bucket, trunk`,
      )
      .all(params) as CallStats['cps'];
    const join = acc ? 'JOIN calls c ON c.call_id = e.call_id AND c.account_id = @acc' : '';
    const exchanges = db
      .prepare(
        `SELECT CAST((e.created_at - @from) / @bucket AS INTEGER) AS bucket, COUNT(*) AS count, SUM(e.outcome <> 'ok') AS failed
         FROM callback_exchanges e ${join}
         WHERE e.created_at >= @from AND e.created_at < @to GROUP BY bucket`,
      )
      .all(params) as CallStats['exchanges'];
    const latencies = db
      .prepare(
        `SELECT e.latency_ms AS latency,
           CASE WHEN e.content_type = 'normal'
             THEN e.created_at - CAST(json_extract(e.content, '$.asr_end_time') AS INTEGER) END AS sinceSpeech
         FROM callback_exchanges e ${join}
         WHERE e.created_at >= @from AND e.created_at < @to`,
      )
      .all(params) as { latency: number; sinceSpeech: number | null }[];
    const callbackLatencyMs = latencies.map((r) => r.latency).sort((a, b) => a - b);
    const speechToCallbackMs = latencies
      .map((r) => r.sinceSpeech)
      // asr_end_time absent or 0 (a callback without speech times) is no measurement.
      .filter((v): v is number => v !== null && v >= 0 && v < 3600_000)
      .sort((a, b) => a - b);
    const receiptsAcc = acc ? 'AND account_id = @acc' : '';
    const pending = db
      .prepare(
        `SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM receipts WHERE state = 'pending' ${receiptsAcc}`,
      )
      .get(acc ? { acc: q.accountId } : {}) as { n: number; oldest: number | null };
    const abandoned = db
      .prepare(`SELECT COUNT(*) AS n FROM receipts WHERE state = 'abandoned' ${receiptsAcc}`)
      .get(acc ? { acc: q.accountId } : {}) as { n: number };
    const inProgress = this.inProgress(q.accountId);
    return {
      calls,
      cps,
      exchanges,
      callbackLatencyMs,
      speechToCallbackMs,
      receipts: { pending: pending.n, oldestPendingAt: pending.oldest, abandoned: abandoned.n },
      inProgress,
    };
  }

  inProgress(accountId?: number): CallStats['inProgress'] {
    const acc = accountId !== undefined;
    return this.#db
      .prepare(
        `SELECT trunk, COUNT(*) AS count FROM calls WHERE state IN ${IN_PROGRESS} ${acc ? 'AND account_id = @acc' : ''}
         GROUP BY trunk`,
      )
      .all(acc ? { acc: accountId } : {}) as CallStats['inProgress'];
  }
}

import type { CallStats, CallStatsQuery, CallStatsRepository } from '../callStats.js';
import type { SqliteDatabase } from './database.js';

const IN_PROGRESS = "('dialing', 'ringing', 'early_media', 'answered')";

/** The roll-up slot lengths (migration 23): the overview's bucket lengths (1 min, 5 min, 15 min, 2 h). */
const SPANS = [7_200_000, 900_000, 300_000, 60_000] as const;
const NOT_FINISHED = "('queued', 'dialing', 'ringing', 'early_media', 'answered')";
const BUSY_MS =
  'SUM(CASE WHEN originate_at IS NOT NULL AND end_at > originate_at THEN end_at - originate_at ELSE 0 END)';

/**
 * The overview's counts in SQL. Finished calls are counted from roll-ups that triggers keep as calls
 * end (migration 23: `call_rollups` per slot of 1 min, 5 min, 15 min and 2 h with account, trunk,
 * outcome and state; `trunk_peaks`, the most calls started in one second of a slot, per account and
 * for all), so a 24 h window reads about a hundred slots per outcome instead of every call in it;
 * calls still in progress come from the calls themselves (few, through the state index). A window
 * whose edges or buckets do not fall on a slot boundary (an end time with seconds) counts raw calls.
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
    const span = SPANS.find((s) => q.bucketMs % s === 0 && q.from % s === 0 && q.to % s === 0);
    let calls: CallStats['calls'];
    let cps: CallStats['cps'];
    if (span !== undefined) {
      const slots = { ...params, span, fromSlot: q.from / span, toSlot: q.to / span, all: q.accountId ?? 0 };
      calls = db
        .prepare(
          `SELECT CAST((slot * @span - @from) / @bucket AS INTEGER) AS bucket, NULLIF(trunk, '') AS trunk,
             NULLIF(status_code, '') AS statusCode, state, SUM(calls) AS count, SUM(answered) AS answered,
             SUM(busy_ms) AS busyMs
           FROM call_rollups WHERE span_ms = @span AND slot >= @fromSlot AND slot < @toSlot ${callsAcc}
           GROUP BY bucket, trunk, status_code, state HAVING SUM(calls) <> 0`,
        )
        .all(slots) as CallStats['calls'];
      const going = db
        .prepare(
          `SELECT CAST((created_at - @from) / @bucket AS INTEGER) AS bucket, trunk, status_code AS statusCode, state,
             COUNT(*) AS count, SUM(answer_at IS NOT NULL) AS answered, ${BUSY_MS} AS busyMs
           FROM calls WHERE state IN ${NOT_FINISHED} AND created_at >= @from AND created_at < @to ${callsAcc}
           GROUP BY bucket, trunk, statusCode, state`,
        )
        .all(params) as CallStats['calls'];
      calls.push(...going);
      cps = db
        .prepare(
          `SELECT CAST((slot * @span - @from) / @bucket AS INTEGER) AS bucket, trunk, MAX(peak) AS peak
           FROM trunk_peaks WHERE span_ms = @span AND slot >= @fromSlot AND slot < @toSlot AND account_id = @all
           GROUP BY bucket, trunk`,
        )
        .all(slots) as CallStats['cps'];
    } else {
      calls = db
        .prepare(
          `SELECT CAST((created_at - @from) / @bucket AS INTEGER) AS bucket, trunk, status_code AS statusCode, state,
             COUNT(*) AS count, SUM(answer_at IS NOT NULL) AS answered, ${BUSY_MS} AS busyMs
           FROM calls WHERE created_at >= @from AND created_at < @to ${callsAcc}
           GROUP BY bucket, trunk, statusCode, state`,
        )
        .all(params) as CallStats['calls'];
      cps = db
        .prepare(
          `SELECT CAST((s * 1000 - @from) / @bucket AS INTEGER) AS bucket, trunk, MAX(n) AS peak FROM (
             SELECT trunk, CAST(originate_at AS INTEGER) / 1000 AS s, COUNT(*) AS n FROM calls
             WHERE created_at >= @from AND created_at < @to AND originate_at IS NOT NULL AND trunk IS NOT NULL ${callsAcc}
             GROUP BY trunk, s)
           GROUP BY bucket, trunk`,
        )
        .all(params) as CallStats['cps'];
    }
    // CROSS JOIN keeps the exchanges of the window as the outer loop (not every call of the account).
    const join = acc ? 'CROSS JOIN calls c ON c.call_id = e.call_id AND c.account_id = @acc' : '';
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

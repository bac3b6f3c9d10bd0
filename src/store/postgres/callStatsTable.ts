/**
 * The console overview's counts in PostgreSQL, as the SQLite queries count them: a window on slot
 * boundaries reads finished calls and peak CPS from the roll-ups the triggers keep (migration 3),
 * calls in progress from the calls; any other window counts the calls themselves.
 */
import type { Async } from '../asyncStore.js';
import type { CallStats, CallStatsQuery, CallStatsRepository } from '../callStats.js';
import type { Queryable } from './pgDatabase.js';
import { one, rows } from './rows.js';

const IN_PROGRESS = "('dialing', 'ringing', 'early_media', 'answered')";
const NOT_FINISHED = "('queued', 'dialing', 'ringing', 'early_media', 'answered')";
/** The roll-up slot lengths (migration 3, as SQLite's 23): 2 h, 15 min, 5 min, 1 min. */
const SPANS = [7_200_000, 900_000, 300_000, 60_000] as const;
const BUSY_MS =
  'COALESCE(SUM(CASE WHEN originate_at IS NOT NULL AND end_at > originate_at THEN end_at - originate_at ELSE 0 END), 0)::bigint';

export class PgCallStatsRepository implements Async<CallStatsRepository> {
  constructor(readonly db: Queryable) {}

  async overview(q: CallStatsQuery): Promise<CallStats> {
    const acc = q.accountId !== undefined;
    const params = acc ? [q.from, q.to, q.bucketMs, q.accountId] : [q.from, q.to, q.bucketMs];
    const callsAcc = acc ? 'AND account_id = $4' : '';
    // $1..$3 are typed by their use; the bucket is an integer division as in SQLite.
    const bucket = (column: string) => `((${column} - $1::bigint) / $3::bigint)`;
    const span = SPANS.find((s) => q.bucketMs % s === 0 && q.from % s === 0 && q.to % s === 0);
    const { calls, cps } =
      span === undefined
        ? await this.#raw(params, callsAcc, bucket)
        : await this.#rolledUp(q, span, params, callsAcc, bucket);
    const join = acc ? 'JOIN calls c ON c.call_id = e.call_id AND c.account_id = $4' : '';
    const exchanges = await rows<CallStats['exchanges'][number]>(
      this.db,
      `SELECT ${bucket('e.created_at')} AS bucket, COUNT(*) AS count, COUNT(*) FILTER (WHERE e.outcome <> 'ok') AS failed
       FROM callback_exchanges e ${join}
       WHERE e.created_at >= $1 AND e.created_at < $2 AND $3::bigint > 0 GROUP BY 1`,
      params,
    );
    const latencies = await rows<{
      latency: number;
      contentType: string;
      content: string;
      createdAt: number;
    }>(
      this.db,
      `SELECT e.latency_ms AS latency, e.content_type AS "contentType", e.content, e.created_at AS "createdAt"
       FROM callback_exchanges e ${join}
       WHERE e.created_at >= $1 AND e.created_at < $2 AND $3::bigint > 0`,
      params,
    );
    const callbackLatencyMs = latencies.map((r) => r.latency).sort((a, b) => a - b);
    const speechToCallbackMs = latencies
      .map((r) => (r.contentType === 'normal' ? sinceSpeech(r.content, r.createdAt) : null))
      // asr_end_time absent or 0 (a callback without speech times) is no measurement.
      .filter((v): v is number => v !== null && v >= 0 && v < 3600_000)
      .sort((a, b) => a - b);
    const receiptsAcc = acc ? 'AND account_id = $1' : '';
    const accParam = acc ? [q.accountId] : [];
    const pending = (await one<{ n: number; oldest: number | null }>(
      this.db,
      `SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM receipts WHERE state = 'pending' ${receiptsAcc}`,
      accParam,
    ))!;
    const abandoned = (await one<{ n: number }>(
      this.db,
      `SELECT COUNT(*) AS n FROM receipts WHERE state = 'abandoned' ${receiptsAcc}`,
      accParam,
    ))!;
    return {
      calls,
      cps,
      exchanges,
      callbackLatencyMs,
      speechToCallbackMs,
      receipts: { pending: pending.n, oldestPendingAt: pending.oldest, abandoned: abandoned.n },
      inProgress: await this.inProgress(q.accountId),
    };
  }

  /** Finished calls and peaks from the roll-ups (whole slots), calls in progress from the calls. */
  async #rolledUp(
    q: CallStatsQuery,
    span: number,
    params: unknown[],
    callsAcc: string,
    bucket: (column: string) => string,
  ): Promise<Pick<CallStats, 'calls' | 'cps'>> {
    // $1 from, $2 bucket, $3 span, $4 first slot, $5 slot past the end, $6 the account (peaks: 0 is all).
    const slots = [q.from, q.bucketMs, span, q.from / span, q.to / span];
    const acc = q.accountId !== undefined;
    const slotBucket = '((slot * $3::bigint - $1::bigint) / $2::bigint)';
    const calls = await rows<CallStats['calls'][number]>(
      this.db,
      `SELECT ${slotBucket} AS bucket, NULLIF(trunk, '') AS trunk, NULLIF(status_code, '') AS "statusCode", state,
         SUM(calls) AS count, SUM(answered) AS answered, SUM(busy_ms)::bigint AS "busyMs"
       FROM call_rollups WHERE span_ms = $3 AND slot >= $4 AND slot < $5 ${acc ? 'AND account_id = $6' : ''}
       GROUP BY 1, trunk, status_code, state HAVING SUM(calls) <> 0`,
      acc ? [...slots, q.accountId] : slots,
    );
    const going = await rows<CallStats['calls'][number]>(
      this.db,
      `SELECT ${bucket('created_at')} AS bucket, trunk, status_code AS "statusCode", state,
         COUNT(*) AS count, COUNT(answer_at) AS answered, ${BUSY_MS} AS "busyMs"
       FROM calls WHERE state IN ${NOT_FINISHED} AND created_at >= $1 AND created_at < $2 ${callsAcc}
       GROUP BY 1, trunk, status_code, state`,
      params,
    );
    calls.push(...going);
    const cps = await rows<CallStats['cps'][number]>(
      this.db,
      `SELECT ${slotBucket} AS bucket, trunk, MAX(peak) AS peak
       FROM trunk_peaks WHERE span_ms = $3 AND slot >= $4 AND slot < $5 AND account_id = $6
       GROUP BY 1, trunk`,
      [...slots, q.accountId ?? 0],
    );
    return { calls, cps };
  }

  /** A window not on slot boundaries: every call in it. */
  async #raw(
    params: unknown[],
    callsAcc: string,
    bucket: (column: string) => string,
  ): Promise<Pick<CallStats, 'calls' | 'cps'>> {
    const calls = await rows<CallStats['calls'][number]>(
      this.db,
      `SELECT ${bucket('created_at')} AS bucket, trunk, status_code AS "statusCode", state,
         COUNT(*) AS count, COUNT(answer_at) AS answered, ${BUSY_MS} AS "busyMs"
       FROM calls WHERE created_at >= $1 AND created_at < $2 ${callsAcc}
       GROUP BY 1, trunk, status_code, state`,
      params,
    );
    const cps = await rows<CallStats['cps'][number]>(
      this.db,
      `SELECT ((s * 1000 - $1::bigint) / $3::bigint) AS bucket, trunk, MAX(n) AS peak FROM (
         SELECT trunk, originate_at / 1000 AS s, COUNT(*) AS n FROM calls
         WHERE created_at >= $1 AND created_at < $2 AND originate_at IS NOT NULL AND trunk IS NOT NULL ${callsAcc}
         GROUP BY trunk, s) per_second
       GROUP BY 1, trunk`,
      params,
    );
    return { calls, cps };
  }

  async inProgress(accountId?: number): Promise<CallStats['inProgress']> {
    const acc = accountId !== undefined;
    return rows<CallStats['inProgress'][number]>(
      this.db,
      `SELECT trunk, COUNT(*) AS count FROM calls WHERE state IN ${IN_PROGRESS} ${acc ? 'AND account_id = $1' : ''}
       GROUP BY trunk`,
      acc ? [accountId] : [],
    );
  }
}

/** created_at − the callback content's `asr_end_time` (ms); null when it has none. */
function sinceSpeech(content: string, createdAt: number): number | null {
  try {
    const end = Number((JSON.parse(content) as { asr_end_time?: unknown }).asr_end_time);
    return Number.isFinite(end) ? createdAt - Math.trunc(end) : null;
  } catch {
    return null;
  }
}

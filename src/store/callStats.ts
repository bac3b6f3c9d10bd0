/**
 * What the console's overview reads: calls, callback exchanges and receipts of a time window,
 * counted per bucket by the store (one pass over the window's index range each), so a window of a
 * store holding millions of calls costs the rows in the window, not the table.
 */
import type { CallState } from './records.js';

export interface CallStatsQuery {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  bucketMs: number;
  /** Only this account's calls (and their exchanges and receipts). */
  accountId?: number;
}

/** Calls created in one bucket with the same trunk, outcome code and state. */
export interface CallBucketRow {
  bucket: number;
  trunk: string | null;
  statusCode: string | null;
  state: CallState;
  count: number;
  answered: number;
  /** Sum over the calls of end − dial start (ms): busy time on the trunk. */
  busyMs: number;
}

export interface CpsBucketRow {
  bucket: number;
  trunk: string;
  /** The most calls started on the trunk within one second of the bucket. */
  peak: number;
}

export interface ExchangeBucketRow {
  bucket: number;
  count: number;
  failed: number;
}

export interface CallStats {
  calls: CallBucketRow[];
  cps: CpsBucketRow[];
  exchanges: ExchangeBucketRow[];
  /** Callback round trips (request → reply), ms, ascending. */
  callbackLatencyMs: number[];
  /** Speech end (`asr_end_time`) → callback posted, ms, ascending; `normal` callbacks only. */
  speechToCallbackMs: number[];
  /** Receipts now waiting for delivery, the oldest one's creation time, and those given up on. */
  receipts: { pending: number; oldestPendingAt: number | null; abandoned: number };
  /** Calls in progress now, per trunk. */
  inProgress: { trunk: string | null; count: number }[];
}

export interface CallStatsRepository {
  overview(q: CallStatsQuery): CallStats;
  /** Calls in progress now, per trunk (optionally of one account). */
  inProgress(accountId?: number): CallStats['inProgress'];
}

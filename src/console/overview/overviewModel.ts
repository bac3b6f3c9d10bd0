/**
 * The overview's figures from the store's counts: per-bucket series (calls per minute, answer rate,
 * callback error rate, trunk CPS and concurrency), outcomes, turn-latency percentiles and the
 * receipt backlog, over a window that ends now or at a chosen time.
 */
import type { CallStats } from '../../store/callStats.js';
import { parseChinaTime } from '../callListQuery.js';

export const WINDOWS = {
  '1h': { ms: 3600_000, bucketMs: 60_000 },
  '6h': { ms: 6 * 3600_000, bucketMs: 5 * 60_000 },
  '24h': { ms: 86400_000, bucketMs: 15 * 60_000 },
  '7d': { ms: 7 * 86400_000, bucketMs: 2 * 3600_000 },
} as const;
export type WindowName = keyof typeof WINDOWS;
export const WINDOW_NAMES = Object.keys(WINDOWS) as WindowName[];

export interface OverviewQuery {
  window: WindowName;
  /** The window's end (epoch ms); undefined: now. */
  end: number | undefined;
  form: { window: string; end: string; account: string };
  account: string | undefined;
}

/** The query string → the window; a string names what is wrong. */
export function parseOverviewQuery(q: Record<string, unknown>): OverviewQuery | string {
  const text = (k: string) => (typeof q[k] === 'string' ? (q[k] as string).trim() : '');
  const form = { window: text('window') || '24h', end: text('end'), account: text('account') };
  if (!(form.window in WINDOWS)) return `window: one of ${WINDOW_NAMES.join(', ')}`;
  const end = form.end === '' ? undefined : parseChinaTime(form.end);
  if (form.end !== '' && end === undefined) return 'end: a time like 2025-06-01T09:30 (UTC+8)';
  return { window: form.window as WindowName, end, form, account: form.account || undefined };
}

export interface Percentiles {
  n: number;
  p50: number | null;
  p99: number | null;
}

export interface TrunkSeries {
  name: string;
  peakCps: number[];
  meanConcurrent: number[];
  cpsLimit: number | undefined;
  maxCalls: number | undefined;
  inProgress: number;
}

export interface Overview {
  from: number;
  to: number;
  bucketMs: number;
  callsPerMinute: number[];
  /** Answered / ended calls of the bucket, null when none ended. */
  answerRate: (number | null)[];
  totals: { calls: number; finished: number; answered: number };
  outcomes: { outcome: string; count: number }[];
  speechToCallback: Percentiles;
  callbackRoundTrip: Percentiles;
  callbackErrorRate: (number | null)[];
  callbacks: { count: number; failed: number };
  trunks: TrunkSeries[];
  receipts: CallStats['receipts'];
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const percentiles = (sorted: readonly number[]): Percentiles => ({
  n: sorted.length,
  p50: percentile(sorted, 0.5),
  p99: percentile(sorted, 0.99),
});

const FINISHED = new Set(['ended', 'failed']);

export function buildOverview(
  stats: CallStats,
  w: { from: number; to: number; bucketMs: number },
  trunkLimits: ReadonlyMap<string, { cps: number; maxCalls: number }>,
): Overview {
  const n = Math.ceil((w.to - w.from) / w.bucketMs);
  const zeros = () => new Array<number>(n).fill(0);
  const inRange = (b: number) => b >= 0 && b < n;
  const calls = zeros();
  const finished = zeros();
  const answered = zeros();
  const outcomes = new Map<string, number>();
  const busy = new Map<string, number[]>();
  const totals = { calls: 0, finished: 0, answered: 0 };
  for (const row of stats.calls) {
    if (!inRange(row.bucket)) continue;
    calls[row.bucket]! += row.count;
    totals.calls += row.count;
    if (FINISHED.has(row.state)) {
      finished[row.bucket]! += row.count;
      answered[row.bucket]! += row.answered;
      totals.finished += row.count;
      totals.answered += row.answered;
    }
    const outcome = row.statusCode ?? row.state;
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + row.count);
    if (row.trunk !== null) {
      const series = busy.get(row.trunk) ?? zeros();
      series[row.bucket]! += row.busyMs;
      busy.set(row.trunk, series);
    }
  }
  const cps = new Map<string, number[]>();
  for (const row of stats.cps) {
    if (!inRange(row.bucket)) continue;
    const series = cps.get(row.trunk) ?? zeros();
    series[row.bucket] = Math.max(series[row.bucket]!, row.peak);
    cps.set(row.trunk, series);
  }
  const exchanges = zeros();
  const failed = zeros();
  const callbacks = { count: 0, failed: 0 };
  for (const row of stats.exchanges) {
    if (!inRange(row.bucket)) continue;
    exchanges[row.bucket]! += row.count;
    failed[row.bucket]! += row.failed;
    callbacks.count += row.count;
    callbacks.failed += row.failed;
  }
  const names = new Set([...busy.keys(), ...cps.keys(), ...trunkLimits.keys()]);
  const trunks = [...names].sort().map(
    (name): TrunkSeries => ({
      name,
      peakCps: cps.get(name) ?? zeros(),
      // Busy time started in the bucket over the bucket's length: the mean number of calls up.
      meanConcurrent: (busy.get(name) ?? zeros()).map((ms) => Math.round((ms / w.bucketMs) * 10) / 10),
      cpsLimit: trunkLimits.get(name)?.cps,
      maxCalls: trunkLimits.get(name)?.maxCalls,
      inProgress: stats.inProgress.find((p) => p.trunk === name)?.count ?? 0,
    }),
  );
  const minutes = w.bucketMs / 60_000;
  return {
    ...w,
    callsPerMinute: calls.map((c) => Math.round((c / minutes) * 10) / 10),
    answerRate: finished.map((f, i) => (f === 0 ? null : answered[i]! / f)),
    totals,
    outcomes: [...outcomes].map(([outcome, count]) => ({ outcome, count })).sort((a, b) => b.count - a.count),
    speechToCallback: percentiles(stats.speechToCallbackMs),
    callbackRoundTrip: percentiles(stats.callbackLatencyMs),
    callbackErrorRate: exchanges.map((c, i) => (c === 0 ? null : failed[i]! / c)),
    callbacks,
    trunks,
    receipts: stats.receipts,
  };
}

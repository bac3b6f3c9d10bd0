/**
 * The figures read from their owners at each scrape (`GET /metrics`): calls in progress by state,
 * each trunk's calls and attempts against its limits (the dialer), the media clock and open media
 * sessions, the speech worker threads, and the receipt pusher's deliveries and errors.
 */
import type { ReceiptPusher } from '../callback/receiptPusher.js';
import type { MediaWorkerLoad } from '../media/worker/mediaWorkerPool.js';
import type { Metrics } from '../observability/metrics.js';
import type { SpeechEngines } from '../speech/speechEngines.js';
import type { TrunkRecord } from '../store/records.js';
import type { Telephony } from '../telephony/telephony.js';
import type { WorkerPoolLoad } from '../workers/workerPool.js';
import type { CallMetrics } from './callMetrics.js';
import type { Dialer, TrunkLoad } from './dialer.js';

export function registerLoadMetrics(
  metrics: Metrics,
  o: {
    callMetrics: CallMetrics;
    dialer: Dialer;
    telephony: Telephony;
    speech: SpeechEngines;
    pusher: ReceiptPusher;
    /** The configured trunks (read at each scrape). */
    trunks: () => TrunkRecord[];
  },
): void {
  metrics.gaugeFrom(
    'smartcall_calls_in_progress',
    'Calls of this process not yet final, by state (queued: waiting in the dialer)',
    () => [
      { labels: { state: 'queued' }, value: o.dialer.stats.queued },
      ...[...o.callMetrics.inProgress()].map(([state, value]) => ({ labels: { state }, value })),
    ],
    ['state'],
  );
  // Every configured trunk, with its limits, whether or not it has carried a call yet.
  const trunkLoad = (): TrunkLoad[] => {
    const used = new Map(o.dialer.trunkLoad().map((t) => [t.trunk, t]));
    const idle = (t: TrunkRecord): TrunkLoad => ({
      trunk: t.name,
      active: 0,
      maxCalls: t.maxCalls,
      startsLastSecond: 0,
      cps: t.cps,
      attempts: 0,
    });
    const configured = o
      .trunks()
      .map((t) => ({ ...(used.get(t.name) ?? idle(t)), cps: t.cps, maxCalls: t.maxCalls }));
    const gone = [...used.values()].filter((t) => !configured.some((c) => c.trunk === t.trunk));
    return [...configured, ...gone];
  };
  const trunk = (name: string, help: string, pick: (t: TrunkLoad) => number, counter = false) =>
    (counter ? metrics.counterFrom : metrics.gaugeFrom).call(
      metrics,
      name,
      help,
      () => trunkLoad().map((t) => ({ labels: { trunk: t.trunk }, value: pick(t) })),
      ['trunk'],
    );
  trunk('smartcall_trunk_active_calls', 'Calls placed through the trunk and not yet over', (t) => t.active);
  trunk('smartcall_trunk_max_calls', "The trunk's concurrency limit", (t) => t.maxCalls);
  trunk(
    'smartcall_trunk_call_attempts_last_second',
    'Call attempts started in the last second (what the CPS limit counts)',
    (t) => t.startsLastSecond,
  );
  trunk('smartcall_trunk_cps_limit', "The trunk's calls-per-second limit", (t) => t.cps);
  trunk(
    'smartcall_trunk_call_attempts_total',
    'Call attempts started through the trunk',
    (t) => t.attempts,
    true,
  );

  const clock = o.telephony.clock;
  metrics.counterFrom('smartcall_media_clock_ticks_total', 'Ticks of the 20 ms media clock', () => [
    { value: clock.stats.ticks },
  ]);
  metrics.counterFrom(
    'smartcall_media_clock_late_ticks_total',
    'Media clock ticks run more than one interval late (caught up)',
    () => [{ value: clock.stats.caughtUpTicks }],
  );
  metrics.counterFrom(
    'smartcall_media_clock_skipped_ticks_total',
    'Media clock ticks skipped because the clock fell too far behind',
    () => [{ value: clock.stats.skippedTicks }],
  );
  metrics.gaugeFrom(
    'smartcall_media_clock_max_lateness_seconds',
    "Largest delay between a tick's due time and its run since start",
    () => [{ value: clock.stats.maxLatenessMs / 1000 }],
  );
  metrics.gaugeFrom('smartcall_media_sessions_open', 'RTP media sessions open', () => [
    { value: o.telephony.openMediaSessions },
  ]);

  // Media worker threads (media.workers): each has its own clock; the one above then ticks for no call.
  const threads = (name: string, help: string, pick: (t: MediaWorkerLoad) => number, counter = false) =>
    (counter ? metrics.counterFrom : metrics.gaugeFrom).call(
      metrics,
      name,
      help,
      () =>
        (o.telephony.mediaWorkers?.threads ?? []).map((t) => ({
          labels: { worker: String(t.worker) },
          value: pick(t),
        })),
      ['worker'],
    );
  threads(
    'smartcall_media_worker_calls',
    'Calls whose media runs on the media worker thread',
    (t) => t.calls,
  );
  threads(
    'smartcall_media_worker_late_ticks_total',
    "Ticks of the thread's media clock run more than one interval late (since the thread started)",
    (t) => t.clock?.caughtUpTicks ?? 0,
    true,
  );
  threads(
    'smartcall_media_worker_skipped_ticks_total',
    "Ticks of the thread's media clock skipped (since the thread started)",
    (t) => t.clock?.skippedTicks ?? 0,
    true,
  );
  threads(
    'smartcall_media_worker_max_lateness_seconds',
    "Largest delay of the thread's media clock since the thread started",
    (t) => (t.clock?.maxLatenessMs ?? 0) / 1000,
  );
  threads(
    'smartcall_media_worker_restarts_total',
    'Times the media worker thread was replaced',
    (t) => t.restarts,
    true,
  );

  const pools = (name: string, help: string, pick: (l: WorkerPoolLoad) => number, counter = false) =>
    (counter ? metrics.counterFrom : metrics.gaugeFrom).call(
      metrics,
      name,
      help,
      () => o.speech.workerLoad().map((p) => ({ labels: { pool: p.pool }, value: pick(p.load) })),
      ['pool'],
    );
  pools('smartcall_speech_worker_threads', 'Speech worker threads running', (l) => l.workers);
  pools('smartcall_speech_worker_busy_threads', 'Speech worker threads with work posted', (l) => l.busy);
  pools('smartcall_speech_worker_running_requests', 'Speech requests being worked on', (l) => l.running);
  pools('smartcall_speech_worker_queued_requests', 'Speech requests waiting for a thread', (l) => l.queued);
  pools('smartcall_speech_worker_respawns_total', 'Speech worker threads replaced', (l) => l.respawns, true);

  const receipts = o.pusher.stats;
  metrics.counterFrom('smartcall_receipts_delivered_total', 'Receipts delivered', () => [
    { value: receipts.delivered },
  ]);
  metrics.counterFrom(
    'smartcall_receipt_errors_total',
    'Receipt batches that failed (retried later), and receipts abandoned after the last retry',
    () => [
      { labels: { kind: 'failed-batch' }, value: receipts.failedBatches },
      { labels: { kind: 'abandoned' }, value: receipts.abandoned },
    ],
    ['kind'],
  );
}

/**
 * The figures a machine scrapes (Prometheus exposition text, `GET /metrics`). One `Metrics` per
 * server: its own registry, never prom-client's global one, so several servers in one process
 * (tests) keep their counts apart.
 *
 * Two kinds of figures: those the call path pushes as things happen (counters and histograms held
 * here, fed by `calls/callMetrics.ts`), and those read from their owner when scraped (gauges and
 * counters whose value lives elsewhere: the dialer's trunks, the media clock, the worker pools, the
 * receipt pusher), registered by the composition root with {@link Metrics.gaugeFrom} and
 * {@link Metrics.counterFrom}. Nothing here runs a timer or holds a handle.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One sample of a figure read at scrape time: its labels and value. */
export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

/** Turn latencies: 5 ms to 5 s (the turn bench's targets are 25–50 ms at p99). */
const TURN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** A callback's HTTP round trip: 5 ms to 10 s (the default callback timeout is 3 s). */
const CALLBACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  readonly registry = new Registry();
  /** A call entered a state (`dialing`, `ringing`, `early_media`, `answered`, `ended`, `failed`). */
  readonly callStates: Counter<'state'>;
  /** A call ended: final state, spec status code and smart status code (the outcome). */
  readonly callsEnded: Counter<'state' | 'status_code' | 'outcome'>;
  /** End of the callee's sentence (endpointer) → the callback posted. */
  readonly speechEndToCallback: Histogram;
  /** The callback's reply received → the reply's first audio packet sent (`prompt`: tts or file). */
  readonly replyToFirstAudio: Histogram<'prompt'>;
  /** Callback exchanges by content type and outcome (`ok`, `timeout`, `network`, `http-status`, …). */
  readonly callbacks: Counter<'type' | 'outcome'>;
  /** Callback exchanges that failed, by failure. */
  readonly callbackErrors: Counter<'type' | 'failure'>;
  /** A callback's HTTP round trip. */
  readonly callbackLatency: Histogram<'type'>;

  constructor() {
    const registers = [this.registry];
    this.callStates = new Counter({
      name: 'smartcall_call_state_changes_total',
      help: 'Calls entering each state (inbound calls enter at ringing)',
      labelNames: ['state'],
      registers,
    });
    this.callsEnded = new Counter({
      name: 'smartcall_calls_ended_total',
      help: 'Calls that reached a final state, by state, status_code and outcome (smart_status_code)',
      labelNames: ['state', 'status_code', 'outcome'],
      registers,
    });
    this.speechEndToCallback = new Histogram({
      name: 'smartcall_turn_speech_end_to_callback_seconds',
      help: "From the end of the callee's sentence to the callback being posted",
      buckets: TURN_BUCKETS,
      registers,
    });
    this.replyToFirstAudio = new Histogram({
      name: 'smartcall_turn_reply_to_first_audio_seconds',
      help: "From the callback's reply to the reply's first audio sent to the callee",
      labelNames: ['prompt'],
      buckets: TURN_BUCKETS,
      registers,
    });
    this.callbacks = new Counter({
      name: 'smartcall_callbacks_total',
      help: 'Callback exchanges by content type and outcome',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.callbackErrors = new Counter({
      name: 'smartcall_callback_errors_total',
      help: 'Callback exchanges that failed (timeout, network, HTTP status, bad reply)',
      labelNames: ['type', 'failure'],
      registers,
    });
    this.callbackLatency = new Histogram({
      name: 'smartcall_callback_duration_seconds',
      help: "A callback's HTTP round trip",
      labelNames: ['type'],
      buckets: CALLBACK_BUCKETS,
      registers,
    });
    this.counterFrom('smartcall_process_cpu_seconds_total', 'CPU time of the process (user + system)', () => {
      const { user, system } = process.cpuUsage();
      return [{ value: (user + system) / 1e6 }];
    });
    this.gaugeFrom('smartcall_process_resident_memory_bytes', 'Resident memory of the process', () => [
      { value: process.memoryUsage.rss() },
    ]);
  }

  /** A gauge whose samples are read from their owner at each scrape. */
  gaugeFrom(name: string, help: string, read: () => Sample[], labelNames: string[] = []): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of read()) this.set(s.labels ?? {}, s.value);
      },
    });
  }

  /** A counter whose running total lives in its owner (stats objects), read at each scrape. */
  counterFrom(name: string, help: string, read: () => Sample[], labelNames: string[] = []): void {
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of read()) this.inc(s.labels ?? {}, Math.max(0, s.value));
      },
    });
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

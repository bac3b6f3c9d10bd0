/**
 * Media on every core: a fixed set of media worker threads (mediaWorker.ts), each with its own
 * media clock and its own slice of the RTP port range. A new call's media goes to the thread with
 * the fewest calls; SIP, the dialogue and the store stay on the main thread (one owner per call).
 *
 * A thread that dies takes only its own calls: each of its sessions reports `lost` (the call hangs
 * up and is finalised as any other), and the thread is replaced on the same port slice — at once
 * the first time, then with a growing pause while it keeps dying young, so a broken build does not
 * spin.
 *
 * The pool also feeds prompt audio to the threads (one shared 20 ms poll over the sources still
 * playing, not a timer per call) and gathers send-interval measurements for bench:media.
 */
import { Worker } from 'node:worker_threads';
import { type Clock, systemClock, type TimerHandle } from '../../clock/clock.js';
import type { Logger } from '../../observability/logger.js';
import type { AudioSource } from '../audioSource.js';
import type { MediaClockStats } from '../mediaClock.js';
import type { MediaSessionOptions } from '../mediaSession.js';
import type { MediaWorkerData } from './mediaWorker.js';
import type { FromWorker, OpenSpec, ToWorker } from './protocol.js';
import { RemoteMediaSession, type SessionLink } from './remoteMediaSession.js';
import type { SourcePump } from './sourcePump.js';

export interface MediaWorkerPoolOptions {
  /** Threads (≥ 1). */
  size: number;
  /** The RTP port range, split evenly between the threads. */
  portMin: number;
  portMax: number;
  logger?: Logger;
  clock?: Clock;
}

/** The subset of MediaSessionOptions a worker session takes (no clock, pool or hooks). */
export type RemoteOpenOptions = Omit<OpenSpec, 'logLevel'> & Pick<MediaSessionOptions, 'logger'>;

const PUMP_POLL_MS = 20;
const YOUNG_DEATH_MS = 5000;
const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  index: number;
  portMin: number;
  portMax: number;
  worker: Worker | undefined;
  startedAt: number;
  deaths: number;
  sessions: Map<number, RemoteMediaSession>;
  opening: Map<
    number,
    { resolve(s: RemoteMediaSession): void; reject(err: Error): void; options: RemoteOpenOptions }
  >;
  requests: Map<number, Pending>;
  respawn: TimerHandle | undefined;
  /** The thread's media clock counters, as last reported (reset by a replacement). */
  clock: MediaClockStats | undefined;
  /** Times this slot's thread was replaced. */
  restarts: number;
  /** The RTP port of the last session opened here (a replacement starts after it). */
  lastPort: number | undefined;
}

/** One thread's figures for metrics. */
export interface MediaWorkerLoad {
  worker: number;
  calls: number;
  clock: MediaClockStats | undefined;
  restarts: number;
}

export class MediaWorkerPool {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #log: Logger | undefined;
  readonly #clock: Clock;
  readonly #pumps = new Set<SourcePump>();
  #pumpTimer: TimerHandle | undefined;
  #nextId = 1;
  #nextReq = 1;
  #closed = false;

  constructor(options: MediaWorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new RangeError(`media workers must be a whole number ≥ 1, got ${options.size}`);
    const min = options.portMin + (options.portMin % 2);
    const pairs = Math.floor((options.portMax - min + 1) / 2);
    const perSlot = Math.floor(pairs / options.size);
    if (perSlot < 1)
      throw new RangeError(
        `RTP port range ${options.portMin}-${options.portMax} is too small for ${options.size} media workers`,
      );
    this.size = options.size;
    this.#log = options.logger;
    this.#clock = options.clock ?? systemClock;
    for (let index = 0; index < options.size; index++) {
      const portMin = min + index * perSlot * 2;
      const slot: Slot = {
        index,
        portMin,
        portMax: portMin + perSlot * 2 - 1,
        worker: undefined,
        startedAt: 0,
        deaths: 0,
        sessions: new Map(),
        opening: new Map(),
        requests: new Map(),
        respawn: undefined,
        clock: undefined,
        restarts: 0,
        lastPort: undefined,
      };
      this.#slots.push(slot);
      this.#spawn(slot);
    }
  }

  /** Calls per thread now (for logs, metrics and tests). */
  get load(): number[] {
    return this.#slots.map((s) => s.sessions.size + s.opening.size);
  }

  /** Per thread: its calls, its media clock's counters, its replacements (metrics). */
  get threads(): MediaWorkerLoad[] {
    return this.#slots.map((s) => ({
      worker: s.index,
      calls: s.sessions.size + s.opening.size,
      clock: s.clock,
      restarts: s.restarts,
    }));
  }

  /** Requests sent to the threads and not answered yet (tests: nothing is left waiting). */
  get pendingRequests(): number {
    return this.#slots.reduce((n, s) => n + s.requests.size, 0);
  }

  /** Opens a call's media on the least loaded live thread. */
  open(options: RemoteOpenOptions): Promise<RemoteMediaSession> {
    if (this.#closed) return Promise.reject(new Error('media workers are shut down'));
    const live = this.#slots.filter((s) => s.worker !== undefined);
    if (live.length === 0) return Promise.reject(new Error('no media worker is running'));
    const slot = live.reduce((a, b) =>
      b.sessions.size + b.opening.size < a.sessions.size + a.opening.size ? b : a,
    );
    const id = this.#nextId++;
    const { logger, ...spec } = options;
    return new Promise((resolve, reject) => {
      slot.opening.set(id, { resolve, reject, options });
      this.#post(slot, { t: 'open', id, spec: { ...spec, logLevel: logger?.level ?? 'silent' } });
    });
  }

  /**
   * bench:media: starts collecting every thread's send intervals (on), or stops and returns each
   * |interval − 20 ms| measured since (off).
   */
  async measureSendIntervals(on: boolean): Promise<Float64Array> {
    const parts = await Promise.all(
      this.#slots.map((slot) =>
        this.#request<Float64Array | undefined>(slot, (req) => ({ t: 'measure', on, req })),
      ),
    );
    if (on) return new Float64Array(0);
    const total = parts.reduce((n, p) => n + (p?.length ?? 0), 0);
    const all = new Float64Array(total);
    let at = 0;
    for (const p of parts) {
      if (!p) continue;
      all.set(p, at);
      at += p.length;
    }
    return all;
  }

  /** Stops the threads. Sessions still open are closed first (recordings finished). */
  async close(): Promise<void> {
    if (this.#closed) return;
    const open = this.#slots.flatMap((s) => [...s.sessions.values()]);
    await Promise.all(open.map((s) => s.close()));
    this.#closed = true;
    if (this.#pumpTimer !== undefined) this.#clock.clearTimer(this.#pumpTimer);
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.respawn !== undefined) this.#clock.clearTimer(slot.respawn);
        const worker = slot.worker;
        slot.worker = undefined;
        if (worker) await worker.terminate();
      }),
    );
  }

  /** Kills one thread as a crash would (tests of the recovery path). */
  async crashWorkerForTest(index: number): Promise<void> {
    const worker = this.#slots[index]?.worker;
    if (worker) await worker.terminate();
  }

  // ---- threads ----

  #spawn(slot: Slot): void {
    const workerData: MediaWorkerData = {
      portMin: slot.portMin,
      portMax: slot.portMax,
      // A replacement starts after the last port handed out here: the ports of the calls just lost,
      // whose far ends may still be sending, are the last to be used again (PortPool's rule).
      ...(slot.lastPort !== undefined && { portStart: slot.lastPort + 2 }),
      logLevel: this.#log?.level ?? 'silent',
    };
    const worker = new Worker(new URL('./mediaWorker.js', import.meta.url), { workerData });
    slot.worker = worker;
    slot.startedAt = this.#clock.now();
    worker.on('message', (message: FromWorker) => this.#receive(slot, message));
    worker.on('error', (err) =>
      this.#log?.error({ err: err.message, worker: slot.index }, 'media worker failed'),
    );
    worker.on('exit', (code) => this.#died(slot, worker, code));
    worker.unref();
  }

  #died(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.clock = undefined;
    const err = new Error(`media worker ${slot.index} exited with code ${code}`);
    if (!this.#closed) {
      // The replacement first: nothing a call's listeners do below can keep the slot empty.
      const young = this.#clock.now() - slot.startedAt < YOUNG_DEATH_MS;
      slot.deaths = young ? slot.deaths + 1 : 0;
      const delay = slot.deaths <= 1 ? 0 : Math.min(30_000, 500 * 2 ** (slot.deaths - 2));
      slot.respawn = this.#clock.setTimer(() => {
        slot.respawn = undefined;
        slot.restarts++;
        if (!this.#closed) this.#spawn(slot);
      }, delay);
      this.#log?.error(
        { worker: slot.index, code, calls: slot.sessions.size },
        'media worker died: its calls end',
      );
    }
    // Whether it crashed or was stopped: every request, opening and session of it settles.
    const requests = [...slot.requests.values()];
    slot.requests.clear();
    const openings = [...slot.opening.values()];
    slot.opening.clear();
    const lost = [...slot.sessions.values()];
    slot.sessions.clear();
    for (const pending of requests) pending.reject(err);
    for (const opening of openings) opening.reject(err);
    for (const session of lost) {
      try {
        session.lost(err);
      } catch (e) {
        session.logger?.error({ err: (e as Error).message }, 'ending a lost media session failed');
      }
    }
  }

  #post(slot: Slot, message: ToWorker, transfer?: ArrayBuffer[]): void {
    slot.worker?.postMessage(message, transfer ?? []);
  }

  #request<T>(slot: Slot, make: (req: number) => ToWorker, timeoutMs?: number): Promise<T> {
    if (!slot.worker) return Promise.reject(new Error(`media worker ${slot.index} is not running`));
    const req = this.#nextReq++;
    return new Promise<T>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const settle = () => {
        slot.requests.delete(req);
        if (timer !== undefined) this.#clock.clearTimer(timer);
      };
      slot.requests.set(req, {
        resolve: (v) => {
          settle();
          resolve(v as T);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
      });
      if (timeoutMs !== undefined)
        timer = this.#clock.setTimer(() => {
          settle();
          reject(new Error(`media worker ${slot.index} did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
      this.#post(slot, make(req));
    });
  }

  #receive(slot: Slot, message: FromWorker): void {
    try {
      this.#handle(slot, message);
    } catch (err) {
      // A call's listener that throws must not take the other calls down (as the media clock and
      // the RTP socket handler guard them in-thread).
      const id = 'id' in message ? message.id : undefined;
      const log = (id !== undefined && slot.sessions.get(id)?.logger) || this.#log;
      log?.error({ err: (err as Error).message, message: message.t }, 'media event listener failed');
    }
  }

  #handle(slot: Slot, message: FromWorker): void {
    switch (message.t) {
      case 'frames':
        this.#deliverFrames(slot, message.meta, message.times, message.pcm);
        return;
      case 'event':
        slot.sessions.get(message.id)?.deliverEvent(message.name, message.data);
        return;
      case 'reply':
      case 'measured': {
        const pending = slot.requests.get(message.req);
        if (!pending) return;
        slot.requests.delete(message.req);
        if (message.t === 'measured') pending.resolve(message.deviations);
        else if (message.error !== undefined) pending.reject(new Error(message.error));
        else pending.resolve(message.value);
        return;
      }
      case 'opened':
      case 'openFailed': {
        const opening = slot.opening.get(message.id);
        if (!opening) return;
        slot.opening.delete(message.id);
        if (message.t === 'openFailed') {
          opening.reject(new Error(message.error));
          return;
        }
        const session = new RemoteMediaSession(
          {
            id: message.id,
            localAddress: message.localAddress,
            localPort: message.localPort,
            ssrc: message.ssrc,
            wideband: message.wideband,
            codec: opening.options.codec ?? 'PCMU',
            telephoneEventPayloadType:
              opening.options.telephoneEventPayloadType === undefined
                ? 101
                : opening.options.telephoneEventPayloadType,
            logger: opening.options.logger,
          },
          this.#link(slot),
        );
        slot.sessions.set(message.id, session);
        slot.lastPort = message.localPort;
        session.once('closed', () => slot.sessions.delete(message.id));
        opening.resolve(session);
        return;
      }
      case 'clock':
        slot.clock = message.stats;
        return;
      case 'log':
        this.#relayLog(
          message.id === undefined ? this.#log : slot.sessions.get(message.id)?.logger,
          message.line,
        );
        return;
    }
  }

  #deliverFrames(slot: Slot, meta: Int32Array, times: Float64Array, pcm: Int16Array): void {
    let at = 0;
    for (let i = 0, e = 0; i < meta.length; i += 4, e++) {
      const length = meta[i + 3]!;
      const session = slot.sessions.get(meta[i]!);
      if (session) {
        try {
          session.deliverFrame(pcm.subarray(at, at + length), times[e]!, meta[i + 1] as 0, meta[i + 2] === 1);
        } catch (err) {
          // One call's listener must not cost the other calls of this thread their audio.
          session.logger?.error({ err: (err as Error).message }, 'frame listener failed');
        }
      }
      at += length;
    }
  }

  #relayLog(log: Logger | undefined, line: string): void {
    if (!log) return;
    try {
      const { level, msg, time: _time, ...fields } = JSON.parse(line) as Record<string, unknown>;
      const method = LEVELS[level as number] ?? 'info';
      log[method](fields, String(msg ?? ''));
    } catch {
      log.warn({ line }, 'media worker log line unreadable');
    }
  }

  #link(slot: Slot): SessionLink {
    return {
      post: (message, transfer) => this.#post(slot, message, transfer),
      request: (make, timeoutMs) => this.#request(slot, make, timeoutMs),
      addPump: (pump) => this.#addPump(pump),
      collect: (source) => this.#collect(source),
      now: () => this.#clock.now(),
    };
  }

  // ---- prompt audio ----

  #addPump(pump: SourcePump): void {
    this.#pumps.add(pump);
    if (this.#pumpTimer === undefined) this.#pumpTimer = this.#clock.setTimer(this.#pollPumps, PUMP_POLL_MS);
  }

  readonly #pollPumps = (): void => {
    this.#pumpTimer = undefined;
    const now = this.#clock.now();
    for (const pump of this.#pumps) {
      try {
        pump.pump(now);
      } catch (err) {
        this.#log?.warn({ err: (err as Error).message }, 'prompt audio source failed');
        pump.stop();
      }
      if (pump.finished) this.#pumps.delete(pump);
    }
    if (this.#pumps.size > 0 && !this.#closed)
      this.#pumpTimer = this.#clock.setTimer(this.#pollPumps, PUMP_POLL_MS);
  };

  /** Reads a source to its end, waiting for elements still on their way. */
  async #collect(source: AudioSource): Promise<Int16Array> {
    const parts: Int16Array[] = [];
    let total = 0;
    const limit = 8000 * 600; // ten minutes of background is more than any bed needs
    const giveUpAt = this.#clock.now() + 30_000; // an element that never arrives
    for (;;) {
      const buffer = new Int16Array(8000 * 10);
      const n = source.read(buffer, 0, buffer.length);
      if (n > 0) {
        parts.push(buffer.subarray(0, n));
        total += n;
      }
      if (source.done || total >= limit || this.#clock.now() > giveUpAt) break;
      if (n === 0) await new Promise<void>((resolve) => this.#clock.setTimer(resolve, PUMP_POLL_MS));
    }
    source.close?.();
    const all = new Int16Array(total);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return all;
  }
}

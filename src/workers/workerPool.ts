/**
 * A fixed number of worker threads serving one kind of request (workerProtocol.ts): each request
 * goes to the thread with the fewest in flight, and is answered exactly once — with the thread's
 * result, its error, a timeout, an abort, or the reason its thread died. A thread that dies is
 * replaced, so one crash costs the requests it held, not every later one.
 *
 * A thread that dies before it has answered anything is likely to die again (bad build, missing
 * model), so consecutive such deaths back off (first one respawns at once, then `firstMs`,
 * doubling up to `maxMs`). While a slot waits, requests go to the others, or fail with the reason.
 *
 * This folder is near the bottom of the tree: it imports node builtins and src/clock only.
 */
import type { TransferListItem, Worker } from 'node:worker_threads';
import { type Clock, systemClock, type TimerHandle } from '../clock/clock.js';
import type { PoolMessage, WorkerMessage } from './workerProtocol.js';

/** One started thread, and how to reach it. */
export interface WorkerLink<Payload> {
  readonly worker: Worker;
  /**
   * Delivers a message (default `worker.postMessage`): for threads that block between requests
   * and poll a port of their own instead of running an event loop.
   */
  post?(message: PoolMessage<Payload>, transfer: readonly TransferListItem[]): void;
  /** Frees what the link holds besides the thread; called once, after the thread has exited. */
  dispose?(): void;
}

/** The slice of a pino logger the pool uses. */
export interface PoolLog {
  warn(obj: object, msg: string): void;
}

export interface WorkerPoolOptions<Payload> {
  /** Names the pool in errors and logs ("espeak-ng worker exited with code 1"). */
  name: string;
  /** Starts one thread; called at construction and for every replacement. */
  spawn(): WorkerLink<Payload>;
  /** Threads (default 1). */
  size?: number;
  /**
   * Requests posted to one thread at a time (default: no limit, each is posted at once to the
   * thread with the fewest). With a limit the rest wait in the pool, in order, and each goes to the
   * first thread with room: a request aborted while it waits never reaches a thread (a thread that
   * computes synchronously cannot drop one it has been posted), and a long request holds up no
   * other thread's queue.
   */
  perWorker?: number;
  /**
   * Default bound on one request, from `run()` to its answer, ms; 0 for none. A thread that spends
   * this long on one request is taken as stuck and replaced.
   */
  timeoutMs: number;
  /** Delays between replacements of a thread that keeps dying unused (default 500 ms to 30 s). */
  respawnBackoff?: { firstMs: number; maxMs: number };
  clock?: Clock;
  log?: PoolLog;
}

export interface RunOptions<Chunk> {
  signal?: AbortSignal;
  /** Overrides the pool's timeout for this request, ms; 0 for none. */
  timeoutMs?: number;
  /** Buffers in the payload to move to the thread instead of copying. */
  transfer?: readonly TransferListItem[];
  /** Receives the request's streamed chunks, in order, before it resolves. */
  onChunk?(chunk: Chunk): void;
}

export interface WorkerPoolStats {
  /** Threads started and not yet exited. */
  workers: number;
  /** Requests not yet answered, including those waiting for a starting thread. */
  inFlight: number;
  /** Replacement threads started since construction. */
  respawns: number;
}

/** How loaded the pool is right now (metrics). */
export interface WorkerPoolLoad {
  /** Threads started and not yet exited. */
  workers: number;
  /** Threads with at least one request posted to them. */
  busy: number;
  /** Requests posted to threads and not yet answered. */
  running: number;
  /** Requests waiting in the pool for a thread with room (`perWorker`) or a starting thread. */
  queued: number;
  /** Replacement threads started since construction. */
  respawns: number;
}

interface Pending<Payload, Result, Chunk> {
  readonly id: number;
  /** The slot it was given; null while it waits in the pool's queue (`perWorker`). */
  slot: Slot<Payload, Result, Chunk> | null;
  /** The request until it is posted (a starting thread gets it once ready), then null. */
  message: PoolMessage<Payload> | null;
  readonly transfer: readonly TransferListItem[];
  readonly resolve: (result: Result) => void;
  readonly reject: (err: Error) => void;
  readonly onChunk: ((chunk: Chunk) => void) | undefined;
  readonly signal: AbortSignal | undefined;
  timer: TimerHandle | null;
  onAbort: (() => void) | null;
}

/** One of the pool's places for a thread; it outlives the threads that fill it. */
interface Slot<Payload, Result, Chunk> {
  /** The current thread; null while down. */
  link: WorkerLink<Payload> | null;
  state: 'starting' | 'ready' | 'down';
  readonly inFlight: Map<number, Pending<Payload, Result, Chunk>>;
  ready: Promise<void>;
  settleReady: (err?: Error) => void;
  /** Why the slot is down. */
  failure: Error | null;
  /** The current thread's last 'error' event, named when it exits. */
  lastError: Error | null;
  /** Consecutive threads that died without answering a request. */
  crashes: number;
  respawnTimer: TimerHandle | null;
}

export class WorkerPool<Payload, Result, Chunk = never> {
  readonly name: string;
  readonly #spawn: () => WorkerLink<Payload>;
  readonly #timeoutMs: number;
  readonly #backoff: { firstMs: number; maxMs: number };
  readonly #clock: Clock;
  readonly #log: PoolLog | undefined;
  readonly #slots: Slot<Payload, Result, Chunk>[] = [];
  readonly #perWorker: number;
  /** Requests waiting for a thread with room, oldest first (`perWorker`). */
  readonly #queue: Pending<Payload, Result, Chunk>[] = [];
  #nextId = 1;
  #respawns = 0;
  #closed = false;
  #closing: Promise<void> | null = null;

  constructor(options: WorkerPoolOptions<Payload>) {
    const size = options.size ?? 1;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`${options.name} pool size ${size}`);
    this.name = options.name;
    this.#spawn = options.spawn;
    this.#perWorker = options.perWorker ?? Number.POSITIVE_INFINITY;
    if (!(this.#perWorker >= 1)) throw new RangeError(`${options.name} pool perWorker ${options.perWorker}`);
    this.#timeoutMs = options.timeoutMs;
    this.#backoff = options.respawnBackoff ?? { firstMs: 500, maxMs: 30_000 };
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log;
    for (let i = 0; i < size; i++) {
      const slot: Slot<Payload, Result, Chunk> = {
        link: null,
        state: 'down',
        inFlight: new Map(),
        ready: Promise.resolve(),
        settleReady: () => {},
        failure: null,
        lastError: null,
        crashes: 0,
        respawnTimer: null,
      };
      this.#slots.push(slot);
      this.#start(slot);
    }
  }

  /** Resolves when every thread is ready; rejects with the reason one is not. */
  ready(): Promise<void> {
    return Promise.all(this.#slots.map((s) => s.ready)).then(() => {});
  }

  get stats(): WorkerPoolStats {
    let workers = 0;
    let inFlight = 0;
    for (const slot of this.#slots) {
      if (slot.link) workers++;
      inFlight += slot.inFlight.size;
    }
    inFlight += this.#queue.length;
    return { workers, inFlight, respawns: this.#respawns };
  }

  get load(): WorkerPoolLoad {
    let workers = 0;
    let busy = 0;
    let running = 0;
    let queued = this.#queue.length;
    for (const slot of this.#slots) {
      if (slot.link) workers++;
      let posted = 0;
      for (const pending of slot.inFlight.values()) if (pending.message === null) posted++;
      if (posted > 0) busy++;
      running += posted;
      queued += slot.inFlight.size - posted;
    }
    return { workers, busy, running, queued, respawns: this.#respawns };
  }

  /** Sends one request to the least busy thread. */
  run(payload: Payload, options: RunOptions<Chunk> = {}): Promise<Result> {
    if (this.#closed) return Promise.reject(new Error(`${this.name} pool is closed`));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError(this.name, signal.reason));
    const least = this.#leastBusy();
    if (!least) return Promise.reject(this.#slots[0]!.failure!);
    const limited = this.#perWorker !== Number.POSITIVE_INFINITY;
    const slot = limited ? this.#withRoom() : least;
    return new Promise<Result>((resolve, reject) => {
      const id = this.#nextId++;
      const pending: Pending<Payload, Result, Chunk> = {
        id,
        slot,
        message: { kind: 'request', id, payload },
        transfer: options.transfer ?? [],
        resolve,
        reject,
        onChunk: options.onChunk,
        signal,
        timer: null,
        onAbort: null,
      };
      if (slot) slot.inFlight.set(id, pending);
      else this.#queue.push(pending);
      const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
      if (timeoutMs > 0) {
        pending.timer = this.#clock.setTimer(() => this.#timedOut(pending, timeoutMs), timeoutMs);
      }
      if (signal) {
        pending.onAbort = () => this.#aborted(pending);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      if (slot?.state === 'ready') this.#post(slot, pending);
    });
  }

  /** Rejects every pending request, cancels replacements and terminates the threads. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closed = true;
      const closed = new Error(`${this.name} pool is closed`);
      for (const pending of this.#queue.splice(0)) {
        this.#finish(pending);
        pending.reject(closed);
      }
      this.#closing = Promise.all(
        this.#slots.map((slot) => {
          if (slot.respawnTimer !== null) this.#clock.clearTimer(slot.respawnTimer);
          slot.respawnTimer = null;
          // Lets a thread end its own main loop cleanly if it gets there before the terminate.
          if (slot.link) this.#send(slot.link, { kind: 'close' }, []);
          return this.#retire(slot, closed, false);
        }),
      ).then(() => {});
    }
    return this.#closing;
  }

  #leastBusy(): Slot<Payload, Result, Chunk> | null {
    let best: Slot<Payload, Result, Chunk> | null = null;
    for (const slot of this.#slots) {
      if (slot.state !== 'down' && (!best || slot.inFlight.size < best.inFlight.size)) best = slot;
    }
    return best;
  }

  /** A ready thread with room under `perWorker`, the least busy; null when none. */
  #withRoom(): Slot<Payload, Result, Chunk> | null {
    let best: Slot<Payload, Result, Chunk> | null = null;
    for (const slot of this.#slots) {
      if (slot.state === 'ready' && slot.inFlight.size < this.#perWorker) {
        if (!best || slot.inFlight.size < best.inFlight.size) best = slot;
      }
    }
    return best;
  }

  /** Hands waiting requests to threads with room. */
  #pump(): void {
    while (this.#queue.length > 0) {
      const slot = this.#withRoom();
      if (!slot) return;
      const pending = this.#queue.shift()!;
      pending.slot = slot;
      slot.inFlight.set(pending.id, pending);
      this.#post(slot, pending);
    }
  }

  #start(slot: Slot<Payload, Result, Chunk>): void {
    slot.respawnTimer = null;
    slot.state = 'starting';
    slot.failure = null;
    slot.lastError = null;
    slot.ready = new Promise<void>((resolve, reject) => {
      slot.settleReady = (err) => (err ? reject(err) : resolve());
    });
    slot.ready.catch(() => {}); // observed through ready() and run()
    let link: WorkerLink<Payload>;
    try {
      link = this.#spawn();
    } catch (err) {
      const reason = new Error(`${this.name} worker could not start: ${(err as Error).message}`, {
        cause: err,
      });
      this.#retire(slot, reason, true);
      return;
    }
    slot.link = link;
    link.worker.on('message', (m: WorkerMessage<Result, Chunk>) => this.#onMessage(slot, link, m));
    link.worker.on('error', (err: Error) => {
      this.#log?.warn({ pool: this.name, err: err.message }, 'worker thread failed');
      if (slot.link === link) slot.lastError = err;
    });
    link.worker.once('exit', (code: number) => {
      link.dispose?.();
      if (slot.link !== link) return; // retired on purpose: its requests are answered already
      const cause = slot.lastError;
      const detail = cause ? ` (${cause.message})` : '';
      const reason = new Error(
        `${this.name} worker exited with code ${code}${detail}`,
        cause ? { cause } : {},
      );
      this.#retire(slot, reason, true);
    });
  }

  #onMessage(slot: Slot<Payload, Result, Chunk>, link: WorkerLink<Payload>, m: WorkerMessage<Result, Chunk>) {
    if (slot.link !== link) return; // a retired thread's last words
    switch (m.kind) {
      case 'ready':
        slot.state = 'ready';
        slot.settleReady();
        for (const pending of slot.inFlight.values()) if (pending.message) this.#post(slot, pending);
        this.#pump();
        return;
      case 'failed':
        this.#retire(slot, new Error(`${this.name} worker failed to start: ${m.error}`), true);
        return;
      case 'chunk':
        slot.inFlight.get(m.id)?.onChunk?.(m.chunk);
        return;
      case 'done':
      case 'error': {
        slot.crashes = 0; // it serves, so a later death is news rather than a start-up loop
        const pending = slot.inFlight.get(m.id);
        if (!pending) return; // answered already (aborted or timed out)
        this.#finish(pending);
        if (m.kind === 'done') pending.resolve(m.result);
        else pending.reject(new Error(m.error));
        this.#pump();
      }
    }
  }

  #post(slot: Slot<Payload, Result, Chunk>, pending: Pending<Payload, Result, Chunk>): void {
    const message = pending.message!;
    pending.message = null;
    this.#send(slot.link!, message, pending.transfer);
  }

  #send(link: WorkerLink<Payload>, message: PoolMessage<Payload>, transfer: readonly TransferListItem[]) {
    if (link.post) link.post(message, transfer);
    else link.worker.postMessage(message, transfer);
  }

  /** Takes a request out of its slot and drops its timer and abort listener. */
  #finish(pending: Pending<Payload, Result, Chunk>): void {
    if (pending.slot) pending.slot.inFlight.delete(pending.id);
    else {
      const at = this.#queue.indexOf(pending);
      if (at >= 0) this.#queue.splice(at, 1);
    }
    if (pending.timer !== null) this.#clock.clearTimer(pending.timer);
    pending.timer = null;
    if (pending.onAbort) pending.signal?.removeEventListener('abort', pending.onAbort);
    pending.onAbort = null;
  }

  #aborted(pending: Pending<Payload, Result, Chunk>): void {
    const sent = pending.message === null;
    this.#finish(pending);
    pending.reject(abortError(this.name, pending.signal?.reason));
    if (sent && pending.slot?.link) this.#send(pending.slot.link, { kind: 'cancel', id: pending.id }, []);
    this.#pump();
  }

  #timedOut(pending: Pending<Payload, Result, Chunk>, timeoutMs: number): void {
    const { slot } = pending;
    if (!slot) {
      // It waited in the queue all along: no thread is to blame.
      this.#finish(pending);
      const err = new Error(`${this.name} request timed out after ${timeoutMs} ms`);
      err.name = 'TimeoutError';
      pending.reject(err);
      return;
    }
    const sent = pending.message === null;
    // Threads answer in order, so only the oldest request sent is the one a thread is stuck on;
    // a younger one merely waited in line behind it.
    let oldest: Pending<Payload, Result, Chunk> | undefined;
    for (const p of slot.inFlight.values()) {
      if (p.message === null) {
        oldest = p;
        break;
      }
    }
    this.#finish(pending);
    const err = new Error(`${this.name} request timed out after ${timeoutMs} ms`);
    err.name = 'TimeoutError';
    pending.reject(err);
    if (oldest === pending) {
      const reason = new Error(`${this.name} worker was replaced: one request took over ${timeoutMs} ms`);
      void this.#retire(slot, reason, false);
    } else if (sent && slot.link) {
      this.#send(slot.link, { kind: 'cancel', id: pending.id }, []);
    }
  }

  /**
   * Takes the slot's thread out of service: fails its requests with `reason`, terminates it and,
   * unless the pool is closing, starts a replacement (after a back-off if `crashed` repeats).
   * Resolves when the old thread has exited.
   */
  #retire(slot: Slot<Payload, Result, Chunk>, reason: Error, crashed: boolean): Promise<void> {
    const link = slot.link;
    slot.link = null;
    slot.state = 'down';
    slot.failure = reason;
    slot.settleReady(reason); // a no-op for a thread that was ready; the next line covers that
    slot.ready = Promise.reject(reason);
    slot.ready.catch(() => {});
    for (const pending of [...slot.inFlight.values()]) {
      this.#finish(pending);
      pending.reject(reason);
    }
    const exited = link ? link.worker.terminate().then(() => {}) : Promise.resolve();
    if (this.#closed) return exited;
    if (crashed) slot.crashes++;
    const delayMs = crashed ? this.#respawnDelay(slot.crashes) : 0;
    this.#log?.warn({ pool: this.name, reason: reason.message, respawnInMs: delayMs }, 'worker replaced');
    const respawn = () => {
      this.#respawns++;
      this.#start(slot);
    };
    if (delayMs === 0) respawn();
    else slot.respawnTimer = this.#clock.setTimer(respawn, delayMs);
    return exited;
  }

  #respawnDelay(crashes: number): number {
    if (crashes <= 1) return 0;
    return Math.min(this.#backoff.maxMs, this.#backoff.firstMs * 2 ** (crashes - 2));
  }
}

function abortError(pool: string, reason: unknown): Error {
  const err = new Error(`${pool} request aborted`, reason === undefined ? {} : { cause: reason });
  err.name = 'AbortError';
  return err;
}

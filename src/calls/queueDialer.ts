/**
 * The dialer of a media node (issue 15, `serve --role media`): takes calls from the queue shared by
 * every node (PgCallQueue) instead of its own. It claims a batch of queued calls with a hold (as many
 * as it has room for), and starts each on its trunk through the queue, which holds the trunk's CPS
 * and concurrency limits across all nodes exactly: on `cps` it asks again when the window has room,
 * on `busy` when a call ends (or shortly), on `gone` it drops the call (cancelled, or another node
 * holds it). Holds of calls waiting and leases of calls in progress are renewed while this node
 * lives, so a node that dies leaves its queued calls to the others and its calls in progress to the
 * orphan finaliser. `stop()` claims nothing more, gives back the calls held but not started, and
 * resolves when the calls in progress have ended.
 */
import type { Clock } from '../clock/clock.js';
import { sleep } from '../clock/within.js';
import type { Logger } from '../observability/logger.js';
import type { CallRecord, TrunkRecord } from '../store/records.js';

export type QueueStart =
  | { started: true; at: number }
  | { started: false; reason: 'cps'; retryInMs: number }
  | { started: false; reason: 'busy' }
  | { started: false; reason: 'gone' };

/** The shared call queue, as PgCallQueue gives it. */
export interface SharedCallQueue {
  claim(limit: number, holdMs: number): Promise<CallRecord[]>;
  release(callId: string): Promise<void>;
  start(callId: string, trunk: { name: string; cps: number; maxCalls: number }): Promise<QueueStart>;
  renew(callIds: readonly string[], holdMs: number): Promise<string[]>;
}

export interface QueueDialerOptions {
  queue: SharedCallQueue;
  /** The trunk a call leaves through; undefined when none is configured. */
  trunkFor: (call: CallRecord) => TrunkRecord | undefined;
  /** Before the first start: what the call's session reads is fetched (the call is this node's). */
  prepare: (call: CallRecord) => Promise<void>;
  /** The call started (`dialing` in the store): places it; settles when it is over. */
  place: (call: CallRecord, trunk: TrunkRecord) => Promise<void>;
  /** Fails a claimed call that cannot be dialled (no trunk, nothing readable). */
  fail: (call: CallRecord, why: string) => void;
  /** After a call is over, or dropped: its writes land and it is forgotten. */
  settled: (callId: string) => Promise<void>;
  /** Calls at most this node carries (held and in progress). */
  capacity: number;
  /** How long a claim holds, and a started call's lease (renewed at a third of it). */
  holdMs: number;
  /** How often the queue is looked at when it was empty. */
  pollMs: number;
  clock: Clock;
  log: Logger;
}

const BUSY_RECHECK_MS = 200;

export class QueueDialer {
  readonly #o: QueueDialerOptions;
  /** Claimed, not started yet. */
  readonly #held = new Set<string>();
  /** Started, not over (or its writes not landed). */
  readonly #placed = new Set<string>();
  readonly #tasks = new Set<Promise<void>>();
  #running = false;
  #wake: AbortController = new AbortController();
  #loop: Promise<void> | undefined;
  #renewer: Promise<void> | undefined;
  /** Calls this node started since it began. */
  starts = 0;

  constructor(options: QueueDialerOptions) {
    this.#o = options;
  }

  /** Calls held (claimed, not started) and in progress. */
  get stats(): { held: number; placed: number } {
    return { held: this.#held.size, placed: this.#placed.size };
  }

  /** Whether this node carries the call (its lease is renewed). */
  owns(callId: string): boolean {
    return this.#placed.has(callId) || this.#held.has(callId);
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#claimLoop();
    this.#renewer = this.#renewLoop();
  }

  /** Claims nothing more; held calls go back to the queue; resolves when the placed ones are over. */
  async stop(): Promise<void> {
    if (!this.#running && !this.#loop) return;
    this.#running = false;
    this.#wake.abort();
    await this.#loop;
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    this.#loop = undefined;
    await this.#renewer;
  }

  #poke(): void {
    this.#wake.abort();
  }

  async #nap(ms: number): Promise<void> {
    if (this.#wake.signal.aborted) this.#wake = new AbortController();
    await sleep(ms, this.#o.clock, this.#wake.signal);
  }

  async #claimLoop(): Promise<void> {
    while (this.#running) {
      const room = this.#o.capacity - this.#held.size - this.#placed.size;
      if (room <= 0) {
        await this.#nap(this.#o.pollMs);
        continue;
      }
      let claimed: CallRecord[];
      try {
        claimed = await this.#o.queue.claim(Math.min(room, 50), this.#o.holdMs);
      } catch (err) {
        this.#o.log.error({ err }, 'claiming queued calls failed: trying again');
        await this.#nap(this.#o.pollMs);
        continue;
      }
      if (!this.#running) {
        // Stopped while claiming: they go straight back.
        await Promise.allSettled(claimed.map((c) => this.#o.queue.release(c.callId)));
        break;
      }
      for (const call of claimed) {
        this.#held.add(call.callId);
        const task = this.#attempt(call).finally(() => this.#tasks.delete(task));
        this.#tasks.add(task);
      }
      if (claimed.length === 0) await this.#nap(this.#o.pollMs);
    }
  }

  async #renewLoop(): Promise<void> {
    while (this.#running || this.#tasks.size > 0) {
      await sleep(Math.max(50, Math.floor(this.#o.holdMs / 3)), this.#o.clock);
      const ids = [...this.#held, ...this.#placed];
      if (ids.length === 0) continue;
      try {
        await this.#o.queue.renew(ids, this.#o.holdMs);
      } catch (err) {
        this.#o.log.error({ err, calls: ids.length }, 'renewing the leases of this node’s calls failed');
      }
    }
  }

  async #attempt(call: CallRecord): Promise<void> {
    const { callId } = call;
    try {
      await this.#o.prepare(call);
    } catch (err) {
      this.#o.log.error({ err, callId }, 'the call’s data could not be read: it goes back to the queue');
      await this.#giveBack(callId);
      return;
    }
    const trunk = this.#o.trunkFor(call);
    if (!trunk) {
      this.#held.delete(callId);
      this.#placed.add(callId);
      this.#o.fail(call, 'no trunk is configured');
      await this.#settle(callId);
      return;
    }
    for (;;) {
      if (!this.#running) {
        await this.#giveBack(callId);
        return;
      }
      let r: QueueStart;
      try {
        r = await this.#o.queue.start(callId, trunk);
      } catch (err) {
        this.#o.log.error({ err, callId }, 'starting the call failed: trying again');
        await this.#nap(this.#o.pollMs);
        continue;
      }
      if (r.started) {
        this.#held.delete(callId);
        this.#placed.add(callId);
        this.starts++;
        const dialing: CallRecord = { ...call, state: 'dialing', trunk: trunk.name, originateAt: r.at };
        try {
          await this.#o.place(dialing, trunk);
        } catch (err) {
          this.#o.log.error({ err, callId }, 'placing the call failed unexpectedly');
          this.#o.fail(dialing, `internal error: ${(err as Error).message}`);
        }
        await this.#settle(callId);
        this.#poke();
        return;
      }
      if (r.reason === 'gone') {
        this.#o.log.info({ callId }, 'the call is no longer queued for this node: dropped');
        this.#held.delete(callId);
        await this.#o.settled(callId).catch(() => undefined);
        return;
      }
      // A full second waits for its oldest start to leave it; a full trunk for a call to end.
      // (Not woken early: a second that is full stays full until then.)
      await sleep(r.reason === 'cps' ? r.retryInMs : BUSY_RECHECK_MS, this.#o.clock);
    }
  }

  async #giveBack(callId: string): Promise<void> {
    this.#held.delete(callId);
    try {
      await this.#o.queue.release(callId);
      this.#o.log.info({ callId }, 'a held call went back to the queue');
    } catch (err) {
      // Its hold runs out by itself; another node claims it then.
      this.#o.log.warn({ err, callId }, 'a held call could not be given back: its hold will run out');
    }
    await this.#o.settled(callId).catch(() => undefined);
  }

  async #settle(callId: string): Promise<void> {
    try {
      await this.#o.settled(callId);
    } catch (err) {
      this.#o.log.error({ err, callId }, 'after the call');
    }
    this.#placed.delete(callId);
  }
}

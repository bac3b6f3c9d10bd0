/**
 * The dialer of a media node (issue 15, `serve --role media`): takes calls from the queue shared by
 * every node (PgCallQueue) instead of its own. It claims queued calls with a hold, only about as many
 * as it can start soon (`claimAhead`, e.g. the trunk's CPS × 2 s, and never more than `capacity`
 * calls held and in progress), so other nodes get their share of the backlog. Claimed calls wait in
 * a local first-in first-out line per trunk; one start loop per trunk starts the head through the
 * queue, which holds the trunk's CPS and concurrency limits across all nodes exactly: on `cps` it
 * asks again when the window has room, on `busy` when a call of this node ends (or after `pollMs`:
 * another node's may), on `gone` it drops the call (cancelled, or another node holds it).
 *
 * Holds of calls waiting and leases of calls in progress are renewed while this node lives (`renew`,
 * meant to run on its own connection so start traffic cannot starve it). A call the renewal did not
 * keep is no longer this node's: a held one is dropped, one in progress is hung up at once (`lost`).
 * With no successful renewal for `holdMs` − `fenceMarginMs` on the local clock the node fences
 * itself: every call it carries is hung up and the held ones are dropped, before another node may
 * take them over. `stop()` claims nothing more, gives back the calls held but not started, and
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
  /** Calls at most held (claimed, not started) at a time: about what the node starts soon. */
  claimAhead: () => number;
  /** Renews holds and leases (default `queue.renew`; give it its own connection). */
  renew?: (callIds: readonly string[], holdMs: number) => Promise<string[]>;
  /** Other calls whose leases this node renews meanwhile (orphans it finalises). */
  alsoRenew?: () => Iterable<string>;
  /**
   * While true, renewal goes on even when this dialer is stopped and carries nothing (a media node
   * still taking an inbound call whose row is not written yet: its lease must be renewed once it is).
   */
  keepRenewing?: () => boolean;
  /** A call in progress that is no longer this node's: hang it up now. */
  lost?: (callId: string) => void;
  /** Self-fencing happens this long before a lease could lapse (default a fifth of `holdMs`, 1 s at least, a third at most). */
  fenceMarginMs?: number;
  /** How long a claim holds, and a started call's lease (renewed at a third of it). */
  holdMs: number;
  /** How often the queue is looked at when it was empty. */
  pollMs: number;
  clock: Clock;
  log: Logger;
}

interface Line {
  trunk: TrunkRecord;
  calls: CallRecord[];
  loop: Promise<void> | undefined;
}

export class QueueDialer {
  readonly #o: QueueDialerOptions;
  /** Claimed, not started yet. */
  readonly #held = new Set<string>();
  /** Started, not over (or its writes not landed). */
  readonly #placed = new Set<string>();
  readonly #tasks = new Set<Promise<void>>();
  /** Per trunk: held calls in claim order, and the loop starting them. */
  readonly #lines = new Map<string, Line>();
  #running = false;
  #wake: AbortController = new AbortController();
  /** Aborted when a call of this node ends (busy trunks look again). */
  #freed: AbortController = new AbortController();
  readonly #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #renewer: Promise<void> | undefined;
  /** When the last renewal that succeeded was sent (local clock). */
  #renewedAt = 0;
  #fenced = false;
  /** Calls told `lost` already. */
  readonly #lost = new Set<string>();
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

  /** Whether the node fenced itself (no renewal for too long) and has not renewed since. */
  get fenced(): boolean {
    return this.#fenced;
  }

  start(): void {
    this.#running = true;
    this.#renewedAt = this.#o.clock.now();
    this.#loop = this.#claimLoop();
    this.#renewer = this.#renewLoop();
  }

  /** Claims nothing more; held calls go back to the queue; resolves when the placed ones are over. */
  async stop(): Promise<void> {
    if (!this.#running && !this.#loop) return;
    this.#running = false;
    this.#wake.abort();
    this.#freed.abort();
    this.#stopping.abort();
    await this.#loop;
    await Promise.allSettled([...this.#lines.values()].map((l) => l.loop));
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
      const room = Math.min(
        this.#o.capacity - this.#held.size - this.#placed.size,
        Math.max(1, Math.ceil(this.#o.claimAhead())) - this.#held.size,
      );
      if (room <= 0 || this.#fenced) {
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
      for (const call of claimed) this.#held.add(call.callId);
      // Prepared together, lined up in claim order.
      const prepared = await Promise.all(claimed.map((c) => this.#prepare(c)));
      for (const [i, call] of claimed.entries()) {
        const trunk = prepared[i];
        if (trunk === 'failed' || !this.#held.has(call.callId)) continue;
        if (trunk === undefined) {
          this.#held.delete(call.callId);
          this.#placed.add(call.callId);
          this.#o.fail(call, 'no trunk is configured');
          this.#track(this.#settle(call.callId));
          continue;
        }
        this.#lineUp(call, trunk);
      }
      if (claimed.length === 0) await this.#nap(this.#o.pollMs);
    }
  }

  #track(task: Promise<void>): void {
    const t = task.finally(() => this.#tasks.delete(t));
    this.#tasks.add(t);
  }

  /** The call's trunk once its data is read; 'failed' (given back) when it could not be read. */
  async #prepare(call: CallRecord): Promise<TrunkRecord | undefined | 'failed'> {
    try {
      await this.#o.prepare(call);
    } catch (err) {
      this.#o.log.error(
        { err, callId: call.callId },
        'the call’s data could not be read: it goes back to the queue',
      );
      await this.#giveBack(call.callId);
      return 'failed';
    }
    return this.#o.trunkFor(call);
  }

  #lineUp(call: CallRecord, trunk: TrunkRecord): void {
    let line = this.#lines.get(trunk.name);
    if (!line) {
      line = { trunk, calls: [], loop: undefined };
      this.#lines.set(trunk.name, line);
    }
    line.trunk = trunk;
    line.calls.push(call);
    this.#runLine(line);
  }

  #runLine(line: Line): void {
    if (line.loop) return;
    line.loop = this.#startLoop(line).finally(() => {
      line.loop = undefined;
      // Lined up after the loop's last look: it runs again.
      if (line.calls.length > 0) this.#runLine(line);
    });
  }

  /** Starts a trunk's held calls in order, as fast as its limits allow. */
  async #startLoop(line: Line): Promise<void> {
    while (line.calls.length > 0) {
      const call = line.calls[0]!;
      const { callId } = call;
      if (!this.#held.has(callId)) {
        line.calls.shift(); // dropped meanwhile (its hold was lost)
        continue;
      }
      if (!this.#running) {
        line.calls.shift();
        await this.#giveBack(callId);
        continue;
      }
      let r: QueueStart;
      try {
        r = await this.#o.queue.start(callId, line.trunk);
      } catch (err) {
        this.#o.log.error({ err, callId }, 'starting the call failed: trying again');
        await sleep(this.#o.pollMs, this.#o.clock, this.#stopping.signal);
        continue;
      }
      if (r.started) {
        line.calls.shift();
        if (!this.#held.delete(callId)) continue; // dropped while starting: its lease is not renewed
        this.#placed.add(callId);
        this.starts++;
        const dialing: CallRecord = { ...call, state: 'dialing', trunk: line.trunk.name, originateAt: r.at };
        this.#track(this.#place(dialing, line.trunk));
        continue;
      }
      if (r.reason === 'gone') {
        line.calls.shift();
        this.#o.log.info({ callId }, 'the call is no longer queued for this node: dropped');
        this.#held.delete(callId);
        await this.#o.settled(callId).catch(() => undefined);
        continue;
      }
      if (r.reason === 'cps') {
        // A full second waits for its oldest start to leave it.
        await sleep(r.retryInMs, this.#o.clock, this.#stopping.signal);
        continue;
      }
      // A full trunk: until a call of this node ends, or another node's may have.
      if (this.#freed.signal.aborted && this.#running) this.#freed = new AbortController();
      await sleep(this.#o.pollMs, this.#o.clock, this.#freed.signal);
    }
  }

  async #place(dialing: CallRecord, trunk: TrunkRecord): Promise<void> {
    try {
      await this.#o.place(dialing, trunk);
    } catch (err) {
      this.#o.log.error({ err, callId: dialing.callId }, 'placing the call failed unexpectedly');
      this.#o.fail(dialing, `internal error: ${(err as Error).message}`);
    }
    await this.#settle(dialing.callId);
    this.#freed.abort();
    this.#poke();
  }

  async #renewLoop(): Promise<void> {
    const everyMs = Math.max(50, Math.floor(this.#o.holdMs / 3));
    const marginMs =
      this.#o.fenceMarginMs ??
      Math.min(Math.max(1000, Math.floor(this.#o.holdMs / 5)), Math.floor(this.#o.holdMs / 3));
    const fenceAfterMs = Math.max(everyMs, this.#o.holdMs - marginMs);
    const renew = this.#o.renew ?? ((ids, ms) => this.#o.queue.renew(ids, ms));
    let inFlight: Promise<void> | undefined;
    let sentAt = this.#o.clock.now();
    // Other calls (a media node's inbound calls) keep their leases while they last, even once this
    // dialer is stopped and its own calls are over: a draining node's inbound calls go on.
    const othersLeft = () => {
      if (this.#o.keepRenewing?.()) return true;
      for (const _ of this.#o.alsoRenew?.() ?? []) return true;
      return false;
    };
    while (this.#running || this.#tasks.size > 0 || othersLeft()) {
      // Looked at more often than renewed: a renewal that hangs still lets the node fence itself.
      await sleep(Math.max(25, Math.floor(everyMs / 4)), this.#o.clock, this.#stopping.signal);
      if (this.#stopping.signal.aborted && (this.#tasks.size > 0 || othersLeft()))
        await Promise.race([sleep(everyMs / 4, this.#o.clock), ...this.#tasks]);
      const now = this.#o.clock.now();
      if (!this.#fenced && now - this.#renewedAt > fenceAfterMs) this.#fence(now - this.#renewedAt);
      if (inFlight || now - sentAt < everyMs) continue;
      const ids = [...this.#held, ...this.#placed].filter((id) => !this.#lost.has(id));
      const also = [...(this.#o.alsoRenew?.() ?? [])];
      if (this.#lost.size > this.#placed.size) {
        // Other calls told `lost` are forgotten once they are gone.
        const alsoNow = new Set(also);
        for (const id of this.#lost) if (!this.#placed.has(id) && !alsoNow.has(id)) this.#lost.delete(id);
      }
      const at = now;
      sentAt = now;
      if (ids.length + also.length === 0 && !this.#fenced) {
        this.#renewed(at); // nothing to lose
        continue;
      }
      // Fenced with nothing left to renew: a renewal of no call tells whether the database answers.
      const renewing = ids.length + also.length === 0 ? ['(probe)'] : [...ids, ...also];
      inFlight = renew(renewing, this.#o.holdMs)
        .then((kept) => {
          this.#renewed(at);
          const keep = new Set(kept);
          for (const id of ids)
            if (!keep.has(id))
              this.#drop(id, 'its lease was not renewed: another node took it, or it ended elsewhere');
          for (const id of also) if (!keep.has(id)) this.#loseOther(id);
        })
        .catch((err: unknown) => {
          this.#o.log.error({ err, calls: ids.length }, 'renewing the leases of this node’s calls failed');
        })
        .finally(() => {
          inFlight = undefined;
        });
    }
    await inFlight;
  }

  #renewed(at: number): void {
    this.#renewedAt = Math.max(this.#renewedAt, at);
    if (this.#fenced) {
      this.#fenced = false;
      this.#o.log.info('leases renewed again: this node claims calls again');
    }
  }

  /** No renewal for too long: another node may soon take this node's calls over. */
  #fence(sinceMs: number): void {
    this.#fenced = true;
    const ids = [...this.#held, ...this.#placed].filter((id) => !this.#lost.has(id));
    this.#o.log.error(
      { calls: ids.length, sinceRenewalMs: Math.round(sinceMs), holdMs: this.#o.holdMs },
      'no lease renewal for too long: this node fences itself and hangs up the calls it carries',
    );
    for (const id of ids) this.#drop(id, 'self-fenced');
    for (const id of this.#o.alsoRenew?.() ?? []) this.#loseOther(id);
  }

  /** A call of `alsoRenew` (not placed by this dialer) is no longer safely this node's: hang it up. */
  #loseOther(callId: string): void {
    if (this.#lost.has(callId) || this.#placed.has(callId)) return;
    this.#lost.add(callId);
    this.#o.lost?.(callId);
  }

  /** The call is no longer (safely) this node's: a held one is dropped, one in progress hung up. */
  #drop(callId: string, why: string): void {
    if (this.#held.delete(callId)) {
      this.#o.log.warn({ callId, why }, 'a held call is dropped');
      this.#track(this.#o.settled(callId).catch(() => undefined));
      return;
    }
    if (this.#placed.has(callId) && !this.#lost.has(callId)) {
      this.#lost.add(callId);
      this.#o.lost?.(callId);
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
    this.#lost.delete(callId);
  }
}

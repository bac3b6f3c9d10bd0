/**
 * The scheduler (`serve --role scheduler`, issue 15): one active, the others standing by, placing
 * queued calls on the least-loaded live media node. It is placement on top of the shared queue,
 * never a single point of failure: media nodes claim what is assigned to them first, and while no
 * scheduler's beacon is live (none runs, the active one died or stalled, it sees no media node
 * because Redis is down) they claim any queued call themselves, as without a scheduler. Which call
 * is placed once, and a trunk's limits, stay with the claim and the start (PgCallQueue).
 *
 * - Active/standby: the session's advisory lock (SchedulerSession.tryLock). A standby asks again
 *   every `standbyRetryMs`, and at once when the active one lets go (`onReleased`).
 * - Each tick (`tickMs`): the live media nodes (their heartbeat cards: capacity, calls carried) and
 *   what the database says each holds; free room = capacity − carried − held or assigned. Up to
 *   `batch` due calls that are unassigned, whose assignment lapsed or whose node is gone go, in
 *   queue order, to the node with the most room (placeLeastLoaded), for `assignmentMs`. No more
 *   than a window of calls (2 s of the default trunk's CPS, what a media node claims ahead) is held
 *   or assigned at a time, so placement follows the load as it changes.
 * - A node that let an assignment lapse unclaimed (stalled, or cut off from the database) gets
 *   nothing for two assignment periods; its calls go to the others. When that leaves no node with
 *   room for the calls due (every node skipped, or the others full), the beacon is dropped: the
 *   nodes claim by themselves until the skip ends (a healthy node may lag, e.g. after a CPS raise).
 */
import type { Clock } from '../clock/clock.js';
import { sleep } from '../clock/within.js';
import type { Logger } from '../observability/logger.js';
import { placeLeastLoaded } from './callPlacement.js';

/** The scheduler's database session, as PgSchedulerSession gives it. */
export interface SchedulerSession {
  tryLock(): Promise<boolean>;
  onReleased(listener: () => void): Promise<void>;
  release(): Promise<void>;
  beacon(node: string, ms: number): Promise<void>;
  dropBeacon(node: string): Promise<void>;
  load(): Promise<Map<string, { pending: number; inProgress: number }>>;
  placeable(live: readonly string[], limit: number): Promise<{ callId: string; lapsedOn: string | null }[]>;
  assign(placements: readonly { callId: string; node: string }[], ms: number): Promise<number>;
  defaultCps(): Promise<number | undefined>;
  close(): Promise<void>;
}

/** A live media node that takes calls, from its heartbeat. */
export interface MediaNodeView {
  queue: string;
  capacity: number;
  calls: number;
}

export type SchedulerState = 'active' | 'standby';

export interface CallSchedulerOptions {
  /** This scheduler's name (in the beacon and the logs). */
  node: string;
  openSession: () => Promise<SchedulerSession>;
  /** The live media nodes taking calls; undefined when the registry cannot be read. */
  mediaNodes: () => Promise<MediaNodeView[] | undefined>;
  tickMs: number;
  /** How long an assignment holds before it lapses (and the call is placed again). */
  assignmentMs: number;
  /** How long the beacon lives unrenewed: after it, media nodes claim any call themselves. */
  graceMs: number;
  /** Calls placed at most per tick. */
  batch: number;
  standbyRetryMs?: number;
  onState?: (state: SchedulerState) => void;
  clock: Clock;
  log: Logger;
}

export class CallScheduler {
  readonly #o: CallSchedulerOptions;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake = new AbortController();
  #session: SchedulerSession | undefined;
  #active = false;
  #placing = false;
  /** Nodes that let an assignment lapse: skipped until then (local clock). */
  readonly #skip = new Map<string, number>();
  /** Calls placed since start. */
  placed = 0;

  constructor(options: CallSchedulerOptions) {
    this.#o = options;
  }

  get state(): SchedulerState {
    return this.#active ? 'active' : 'standby';
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops placing, lets the lock go at once (a standby takes over) and ends the session. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#wake.abort();
    await this.#loop;
  }

  async #nap(ms: number): Promise<void> {
    if (this.#wake.signal.aborted && this.#running) this.#wake = new AbortController();
    await sleep(ms, this.#o.clock, this.#wake.signal);
  }

  #setActive(active: boolean): void {
    if (this.#active === active) return;
    this.#active = active;
    this.#placing = false;
    this.#o.onState?.(this.state);
  }

  async #run(): Promise<void> {
    const retryMs = this.#o.standbyRetryMs ?? 1000;
    let announced = false;
    while (this.#running) {
      try {
        if (!this.#session) {
          const session = await this.#o.openSession();
          this.#session = session;
          await session.onReleased(() => this.#wake.abort());
        }
        if (!this.#active) {
          if (!(await this.#session.tryLock())) {
            if (!announced)
              this.#o.log.info({ node: this.#o.node }, 'standing by: another scheduler is active');
            announced = true;
            await this.#nap(retryMs);
            continue;
          }
          this.#setActive(true);
          announced = false;
          this.#o.log.info({ node: this.#o.node }, 'scheduler active');
        }
        await this.#tick(this.#session);
        await this.#nap(this.#o.tickMs);
      } catch (err) {
        this.#o.log.error(
          { err, node: this.#o.node },
          this.#active
            ? 'the scheduler lost its database session: standing by'
            : 'the database is unreachable: trying again',
        );
        this.#setActive(false);
        announced = false;
        await this.#session?.close();
        this.#session = undefined;
        await this.#nap(retryMs);
      }
    }
    const session = this.#session;
    this.#session = undefined;
    if (session && this.#active) {
      // Media nodes claim by themselves until a standby places again; the standbys are woken.
      await session.dropBeacon(this.#o.node).catch(() => undefined);
      await session.release().catch(() => undefined);
      this.#o.log.info({ node: this.#o.node }, 'the scheduler lock is released');
    }
    this.#setActive(false);
    await session?.close();
  }

  /** Drops the beacon (logged once): media nodes claim queued calls by themselves until it is back. */
  async #standAside(session: SchedulerSession, reason: string): Promise<void> {
    if (this.#placing) {
      await session.dropBeacon(this.#o.node);
      this.#o.log.warn(
        { reason },
        'no media node to place calls on: media nodes claim queued calls by themselves',
      );
    }
    this.#placing = false;
  }

  async #tick(session: SchedulerSession): Promise<void> {
    const nodes = await this.#o.mediaNodes();
    if (!nodes || nodes.length === 0) {
      await this.#standAside(
        session,
        nodes ? 'no media node is registered' : 'the node registry is unreachable',
      );
      return;
    }
    const [load, cps] = await Promise.all([session.load(), session.defaultCps()]);
    const window = Math.max(1, Math.ceil((cps ?? 1) * 2));
    let pending = 0;
    for (const n of nodes) pending += load.get(n.queue)?.pending ?? 0;
    const budget = Math.min(this.#o.batch, window - pending);
    const now = this.#o.clock.now();
    const live = nodes.map((n) => n.queue);
    const calls = budget > 0 ? await session.placeable(live, budget) : [];
    for (const c of calls) {
      if (c.lapsedOn === null || !live.includes(c.lapsedOn)) continue;
      if ((this.#skip.get(c.lapsedOn) ?? 0) < now)
        this.#o.log.warn(
          { mediaNode: c.lapsedOn, callId: c.callId },
          'a media node let its assignment lapse: it gets no calls for a while',
        );
      this.#skip.set(c.lapsedOn, now + 2 * this.#o.assignmentMs);
    }
    const rooms = nodes
      .filter((n) => (this.#skip.get(n.queue) ?? 0) < now)
      .map((n) => {
        const l = load.get(n.queue);
        return {
          queue: n.queue,
          free: n.capacity - Math.max(n.calls, l?.inProgress ?? 0) - (l?.pending ?? 0),
        };
      });
    // A skipped node may be healthy (it lagged behind a sudden larger window, e.g. a raised CPS): when
    // no node that is not skipped has room for the calls due, a live beacon would hold every call
    // back, so the nodes claim by themselves until the skip ends.
    if (
      rooms.length === 0 ||
      (rooms.length < nodes.length && calls.length > 0 && rooms.every((r) => r.free <= 0))
    ) {
      await this.#standAside(
        session,
        rooms.length === 0
          ? 'every media node let an assignment lapse'
          : 'the media nodes not skipped for a lapse have no room',
      );
      return;
    }
    await session.beacon(this.#o.node, this.#o.graceMs);
    if (!this.#placing) this.#o.log.info({ mediaNodes: nodes.length }, 'placing queued calls on media nodes');
    this.#placing = true;
    if (calls.length === 0) return;
    const placements = placeLeastLoaded(
      calls.map((c) => c.callId),
      rooms,
    );
    if (placements.length === 0) return;
    this.placed += await session.assign(placements, this.#o.assignmentMs);
  }
}

/**
 * The dialer: accepted calls wait in a durable queue (the `queued` calls of the store) and are
 * placed through their trunk no faster than its CPS limit and never beyond its concurrency limit.
 * Excess calls wait; none is dropped. The CPS limit is a sliding one-second window: at most `cps`
 * call attempts start within any 1000 ms, which is how carriers count.
 */
import type { Clock } from '../clock/clock.js';
import type { SmartCallRequest } from '../contract/smartCallRequest.js';
import type { Logger } from '../observability/logger.js';
import type { CallRecord, TrunkRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import type { CallLedger } from './callLedger.js';
import { internalFailureResult } from './callOutcome.js';

/** Places one call and settles when it is over (answered and ended, or failed). */
export interface CallPlacer {
  place(call: CallRecord, trunk: TrunkRecord): Promise<void>;
}

export interface DialerOptions {
  store: Store;
  /** Every state change of a call goes through it, with the receipts it owes. */
  ledger: Pick<CallLedger, 'note' | 'finish'>;
  placer: CallPlacer;
  /** The trunk a call leaves through; undefined when none is configured. */
  trunkFor: (call: CallRecord) => TrunkRecord | undefined;
  time: Clock;
  log: Logger;
  /**
   * The policy gate's word just before dialling: undefined to dial now, else the call waits (outside
   * its calling window) and is asked again within a second — it is never dropped.
   */
  hold?: (call: CallRecord) => { until: number; reason: string } | undefined;
  /** Told when a placed call is over (retries, opt-outs, campaign progress). */
  onSettled?: (callId: string) => void;
}

/** How often held calls are asked again (the gate's clock may not be this one). */
const HOLD_RECHECK_MS = 1000;

interface TrunkState {
  active: number;
  /** Start times of the last attempts, oldest first, at most `cps` of them. */
  starts: number[];
  /** Attempts started since this process began. */
  attempts: number;
  /** The trunk's limits when it was last used. */
  cps: number;
  maxCalls: number;
}

/** One trunk's load as the dialer sees it (metrics). */
export interface TrunkLoad {
  trunk: string;
  /** Calls placed through it and not yet over. */
  active: number;
  maxCalls: number;
  /** Attempts started within the last second (the sliding window the CPS limit counts). */
  startsLastSecond: number;
  cps: number;
  /** Attempts started since this process began. */
  attempts: number;
}

export class Dialer {
  readonly #o: DialerOptions;
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #trunks = new Map<string, TrunkState>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #held = new Set<string>();
  #holdTimer: unknown;
  #wakeTimer: unknown;
  #wakeAt = Number.POSITIVE_INFINITY;
  #running = false;

  constructor(options: DialerOptions) {
    this.#o = options;
  }

  /** Picks up every call left queued in the store (also those from before a restart). */
  start(): void {
    this.#running = true;
    for (const call of this.#o.store.calls.listByState(['queued'], 1_000_000)) this.#push(call.callId);
    this.#pump();
  }

  /** A newly accepted call. */
  enqueue(callId: string): void {
    this.#push(callId);
    if (this.#running) this.#pump();
  }

  /** Stops starting calls; resolves when the calls already placed have settled. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#wakeTimer !== undefined) this.#o.time.clearTimer(this.#wakeTimer);
    this.#wakeTimer = undefined;
    if (this.#holdTimer !== undefined) this.#o.time.clearTimer(this.#holdTimer);
    this.#holdTimer = undefined;
    await Promise.allSettled([...this.#inFlight]);
  }

  get stats(): { queued: number; held: number; active: Record<string, number> } {
    const active: Record<string, number> = {};
    for (const [name, t] of this.#trunks) active[name] = t.active;
    return { queued: this.#queue.length, held: this.#held.size, active };
  }

  /** Each trunk used so far: its calls in progress and attempts against its limits. */
  trunkLoad(): TrunkLoad[] {
    const since = this.#o.time.now() - 1000;
    return [...this.#trunks].map(([trunk, t]) => ({
      trunk,
      active: t.active,
      maxCalls: t.maxCalls,
      startsLastSecond: t.starts.filter((at) => at > since).length,
      cps: t.cps,
      attempts: t.attempts,
    }));
  }

  #push(callId: string): void {
    if (this.#queued.has(callId)) return;
    this.#queued.add(callId);
    this.#queue.push(callId);
  }

  #state(trunk: TrunkRecord): TrunkState {
    let s = this.#trunks.get(trunk.name);
    if (!s) {
      s = { active: 0, starts: [], attempts: 0, cps: trunk.cps, maxCalls: trunk.maxCalls };
      this.#trunks.set(trunk.name, s);
    }
    s.cps = trunk.cps;
    s.maxCalls = trunk.maxCalls;
    return s;
  }

  #pump(): void {
    while (this.#running && this.#queue.length > 0) {
      const callId = this.#queue[0]!;
      const call = this.#o.store.calls.find(callId);
      if (call?.state !== 'queued') {
        this.#dequeue();
        continue;
      }
      const hold = this.#o.hold?.(call);
      if (hold) {
        this.#dequeue();
        this.#holdBack(callId);
        continue;
      }
      const trunk = this.#o.trunkFor(call);
      if (!trunk) {
        this.#dequeue();
        this.#fail(call, 'no trunk is configured');
        continue;
      }
      const state = this.#state(trunk);
      if (state.active >= trunk.maxCalls) return; // a call ending pumps again
      const now = this.#o.time.now();
      while (state.starts.length > 0 && state.starts[0]! <= now - 1000) state.starts.shift();
      if (state.starts.length >= trunk.cps) {
        this.#wakeUpAt(state.starts[0]! + 1000);
        return;
      }
      state.starts.push(now);
      state.attempts++;
      state.active++;
      this.#dequeue();
      this.#o.ledger.note(callId, { state: 'dialing', originateAt: Math.round(now) });
      const placed = this.#o.placer
        .place({ ...call, state: 'dialing', originateAt: Math.round(now) }, trunk)
        .catch((err) => {
          this.#o.log.error({ callId, err }, 'placing the call failed unexpectedly');
          this.#fail(call, `internal error: ${(err as Error).message}`);
        })
        .finally(() => {
          state.active--;
          this.#inFlight.delete(placed);
          try {
            this.#o.onSettled?.(callId);
          } catch (err) {
            this.#o.log.error({ callId, err }, 'after-call policy step failed');
          }
          this.#pump();
        });
      this.#inFlight.add(placed);
    }
  }

  /** A call outside its window: out of the queue (no head-of-line wait), asked again later. */
  #holdBack(callId: string): void {
    this.#held.add(callId);
    if (this.#holdTimer !== undefined) return;
    this.#holdTimer = this.#o.time.setTimer(() => {
      this.#holdTimer = undefined;
      const again = [...this.#held];
      this.#held.clear();
      for (const id of again) this.#push(id);
      if (this.#running) this.#pump();
    }, HOLD_RECHECK_MS);
  }

  #dequeue(): void {
    this.#queued.delete(this.#queue.shift()!);
  }

  #wakeUpAt(at: number): void {
    if (at >= this.#wakeAt && this.#wakeTimer !== undefined) return;
    if (this.#wakeTimer !== undefined) this.#o.time.clearTimer(this.#wakeTimer);
    this.#wakeAt = at;
    this.#wakeTimer = this.#o.time.setTimer(
      () => {
        this.#wakeTimer = undefined;
        this.#wakeAt = Number.POSITIVE_INFINITY;
        this.#pump();
      },
      Math.max(0, at - this.#o.time.now()),
    );
  }

  /**
   * A call that failed before (or outside) its session: the terminal state and its VoiceReport
   * through the ledger (a call already final is left alone). When even that write fails, the call
   * stays in progress and the orphan reaper finalises it.
   */
  #fail(call: CallRecord, why: string): void {
    this.#o.log.warn({ callId: call.callId, why }, 'call failed before dialing');
    let earlyMediaAsr = false;
    try {
      earlyMediaAsr = (JSON.parse(call.request) as SmartCallRequest).earlyMediaAsr === true;
    } catch {
      // an unreadable request changes nothing here
    }
    try {
      this.#o.ledger.finish(
        call.callId,
        { state: 'failed', endAt: Math.round(this.#o.time.now()), ...internalFailureResult(why) },
        { earlyMediaAsr, recorded: false },
      );
    } catch {
      // logged by the ledger: left to the orphan reaper
    }
  }
}

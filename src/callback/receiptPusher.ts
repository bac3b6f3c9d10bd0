/**
 * HTTP batch push of receipts (spec §5.1): pending receipts leave the durable outbox as JSON arrays,
 * one MessageType per batch, to that type's URL (tenancy/receiptRoutes.ts), with a 700 ms timeout;
 * the receiver acknowledges with HTTP 200 and a JSON body whose `code` is a number. A failed batch
 * is retried after 1, 5 and 10 minutes, then abandoned; each URL fails and retries on its own. A
 * call's receipts to one URL go out in order (a later one waits while an earlier one waits for its
 * retry): with a URL per type that is per type, and the one-URL setting keeps a call's whole
 * sequence in order as before. Nothing is lost across a restart: the outbox is the database. Time
 * is injected, so tests run the retry schedule without waiting.
 */
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../observability/logger.js';
import type { AsyncStore, ReceiptLeases } from '../store/asyncStore.js';
import type { ReceiptRecord, ReceiptType } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import { asyncStoreOver } from '../store/storeAsAsync.js';
import { receiptUrl } from '../tenancy/receiptRoutes.js';

export interface ReceiptPusherOptions {
  /** The outbox: the embedded store, or the async one (PostgreSQL, shared by several pushers). */
  store: Store | AsyncStore;
  time: Clock;
  log: Logger;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Delays before each retry (default 1, 5 and 10 minutes). */
  retryDelaysMs?: readonly number[];
  batchSize?: number;
  /** Longest sleep between looks at the outbox. */
  idleMs?: number;
  /**
   * On an outbox shared by several pushers (ReceiptLeases: PostgreSQL), how long a claim holds its
   * receipts (default 30 s): renewed while this pusher sends, taken over by another pusher once it
   * runs out (this one died). Unused on the embedded store, which one pusher owns.
   */
  leaseMs?: number;
}

/** A claim on a shared outbox: its lease (a time, the claim's token) and the receipts not done yet. */
interface Claim {
  leases: ReceiptLeases;
  until: number;
  /** The claim's instant: receipts given back are due again from it. */
  at: number;
  open: Set<number>;
}

function leasesOf(receipts: object): ReceiptLeases | undefined {
  return 'claim' in receipts ? (receipts as unknown as ReceiptLeases) : undefined;
}

type ResolvedOptions = Required<Omit<ReceiptPusherOptions, 'store'>> & { store: AsyncStore };

export class ReceiptPusher {
  readonly #o: ResolvedOptions;
  #timer: unknown;
  #timerAt = Number.POSITIVE_INFINITY;
  #pumping: Promise<void> | undefined;
  #again = false;
  /** The instant of the last look at the outbox: the next one is planned from it. */
  #lookedAt = 0;
  #running = false;
  /** Counters for metrics and tests. */
  readonly stats = { batches: 0, delivered: 0, failedBatches: 0, abandoned: 0 };

  constructor(options: ReceiptPusherOptions) {
    this.#o = {
      ...options,
      store: 'kind' in options.store ? options.store : asyncStoreOver(options.store),
      fetch: options.fetch ?? fetch,
      timeoutMs: options.timeoutMs ?? 700,
      retryDelaysMs: options.retryDelaysMs ?? [60_000, 300_000, 600_000],
      batchSize: options.batchSize ?? 100,
      idleMs: options.idleMs ?? 30_000,
      leaseMs: options.leaseMs ?? 30_000,
    };
  }

  start(): void {
    this.#running = true;
    this.wake();
  }

  /** New receipts were written: look at the outbox soon. */
  wake(): void {
    if (!this.#running) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#schedule(this.#o.time.now());
  }

  /** Resolves once no push is in flight (tests advance their clock, then wait for this). */
  async whenIdle(): Promise<void> {
    while (this.#pumping) await this.#pumping;
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) this.#o.time.clearTimer(this.#timer);
    this.#timer = undefined;
    await this.#pumping;
  }

  #schedule(at: number): void {
    if (!this.#running) return;
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    if (this.#timer !== undefined) this.#o.time.clearTimer(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#o.time.setTimer(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#pumping = this.#pumpThenPlan();
      },
      Math.max(0, at - this.#o.time.now()),
    );
  }

  /**
   * One look at the outbox, then the next one planned. `#pumping` stays set until the plan is made,
   * so a `wake()` meanwhile only asks for another look (`#again`) and looks never overlap.
   */
  async #pumpThenPlan(): Promise<void> {
    const { time, log, store, idleMs } = this.#o;
    try {
      await this.#pump();
    } catch (err) {
      log.error({ err }, 'looking at the receipt outbox failed');
    }
    let next: number | undefined;
    if (!this.#again) {
      try {
        // From the last look, not from now: a receipt that came due in between (a store query takes
        // time) is then planned at once instead of waiting for the idle look.
        next = await store.receipts.nextDueAt(this.#lookedAt);
      } catch (err) {
        // The store is unreachable (a PostgreSQL restart): look again soon.
        log.error({ err }, 'looking at the receipt outbox failed');
        next = time.now() + Math.min(1000, idleMs);
      }
    }
    this.#pumping = undefined;
    const now = time.now();
    if (this.#again) {
      this.#again = false;
      this.#schedule(now);
    } else {
      this.#schedule(Math.min(next ?? Number.POSITIVE_INFINITY, now + idleMs));
    }
  }

  async #pump(): Promise<void> {
    const leases = leasesOf(this.#o.store.receipts);
    for (;;) {
      this.#lookedAt = this.#o.time.now();
      let claim: Claim | undefined;
      let due: ReceiptRecord[];
      if (leases) {
        const until = this.#lookedAt + this.#o.leaseMs;
        due = await leases.claim(this.#lookedAt, 1000, until);
        claim = { leases, until, at: this.#lookedAt, open: new Set(due.map((r) => r.id)) };
      } else due = await this.#o.store.receipts.due(this.#lookedAt, 1000);
      if (due.length === 0) return;
      let progress = false;
      try {
        if (!this.#running) return;
        // One stream per account and URL (the receipt's `stream`): its own batches, its own retries.
        // A batch holds one MessageType; a stream that carries several types (the one-URL form)
        // sends them as runs in the outbox's order, so a call's receipts arrive as they were written.
        const streams = new Map<string, ReceiptRecord[]>();
        for (const r of due) {
          const key = `${r.accountId} ${r.stream}`;
          const list = streams.get(key) ?? [];
          list.push(r);
          streams.set(key, list);
        }
        // A URL that failed in this pass takes nothing more in it: a call's later receipts to it (of
        // another type) stay behind the failed ones, which the next look at the outbox then skips.
        const failedUrls = new Set<string>();
        for (const receipts of streams.values()) {
          for (let batch of typeRuns(receipts, this.#o.batchSize)) {
            const { accountId, type } = batch[0]!;
            if (claim) {
              await this.#keep(claim);
              // Receipts whose lease was lost went to another pusher: not sent from here.
              batch = batch.filter((r) => claim.open.has(r.id));
              if (batch.length === 0) break;
            }
            const outcome = await this.#deliver(accountId, type, batch, failedUrls, claim);
            if (outcome === 'delivered') progress = true;
            else break; // keep the stream's later receipts behind the failed ones
          }
        }
      } finally {
        // What this pass did not send (held behind a failed URL) is given back at once.
        if (claim && claim.open.size > 0) await claim.leases.release([...claim.open], claim.until, claim.at);
      }
      if (!progress) return;
    }
  }

  /**
   * Renews the claim while its lease could run out during the next push (half of it is left), and
   * forgets the receipts it no longer holds.
   */
  async #keep(claim: Claim): Promise<void> {
    const now = this.#o.time.now();
    if (claim.until - now > Math.max(this.#o.leaseMs / 2, this.#o.timeoutMs * 2)) return;
    const until = now + this.#o.leaseMs;
    const held = new Set(await claim.leases.renew([...claim.open], claim.until, until));
    claim.until = until;
    for (const id of claim.open) if (!held.has(id)) claim.open.delete(id);
  }

  async #deliver(
    accountId: number,
    type: ReceiptType,
    batch: ReceiptRecord[],
    failedUrls: Set<string>,
    claim?: Claim,
  ): Promise<'delivered' | 'failed' | 'held'> {
    const { store, time, log } = this.#o;
    // On a shared outbox, marks land only while this pusher holds the receipts.
    const marks = {
      delivered: async (ids: number[], at: number) => {
        if (!claim) await store.receipts.markDelivered(ids, at);
        else {
          await claim.leases.markDeliveredUnder(ids, at, claim.until);
          for (const id of ids) claim.open.delete(id);
        }
      },
      failed: async (ids: number[], error: string, next: number | undefined) => {
        if (!claim) await store.receipts.markFailed(ids, error, next);
        else {
          await claim.leases.markFailedUnder(ids, error, next, claim.until);
          for (const id of ids) claim.open.delete(id);
        }
      },
    };
    const url = receiptUrl((await store.accounts.findById(accountId))?.receipts, type);
    const ids = batch.map((r) => r.id);
    if (!url) {
      await marks.failed(ids, `the account has no ${type} URL any more`, undefined);
      this.stats.abandoned += ids.length;
      return 'delivered';
    }
    if (failedUrls.has(url)) return 'held';
    this.stats.batches++;
    const body = '[' + batch.map((r) => r.payload).join(',') + ']';
    let error: string | undefined;
    try {
      const res = await this.#o.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json;charset=utf-8', 'user-agent': 'smartcall-receipts/1' },
        body,
        signal: AbortSignal.timeout(this.#o.timeoutMs),
        redirect: 'manual',
      });
      const text = await res.text();
      if (res.status !== 200) error = `HTTP ${res.status}`;
      else {
        let code: unknown;
        try {
          code = (JSON.parse(text) as { code?: unknown }).code;
        } catch {
          code = undefined;
        }
        // Spec §5.1: only "is code a number" is checked.
        if (typeof code !== 'number') error = 'the reply has no numeric code';
      }
    } catch (err) {
      const e = err as Error;
      error =
        e.name === 'TimeoutError' || e.name === 'AbortError'
          ? `no reply within ${this.#o.timeoutMs} ms`
          : e.message;
    }
    const now = time.now();
    if (!error) {
      await marks.delivered(ids, now);
      this.stats.delivered += ids.length;
      return 'delivered';
    }
    failedUrls.add(url);
    this.stats.failedBatches++;
    // Receipts in one batch may be on different attempts (a retry joined by new ones).
    const byAttempt = new Map<number, number[]>();
    for (const r of batch) byAttempt.set(r.attempts, [...(byAttempt.get(r.attempts) ?? []), r.id]);
    for (const [attempts, group] of byAttempt) {
      const delay = this.#o.retryDelaysMs[attempts];
      await marks.failed(group, error, delay === undefined ? undefined : now + delay);
      if (delay === undefined) this.stats.abandoned += group.length;
    }
    // The calls the receipts belong to: `callId` when one (as every line about a call), else `callIds`.
    const calls = [...new Set(batch.map((r) => r.callId))];
    const which = calls.length === 1 ? { callId: calls[0] } : { callIds: calls.slice(0, 20) };
    log.warn({ accountId, type, receipts: ids.length, ...which, error }, 'receipt push failed');
    return 'failed';
  }
}

/** Consecutive receipts of one type, at most `max` a batch, in the order given. */
function typeRuns(receipts: ReceiptRecord[], max: number): ReceiptRecord[][] {
  const runs: ReceiptRecord[][] = [];
  let run: ReceiptRecord[] = [];
  for (const r of receipts) {
    if (run.length === max || (run.length > 0 && run[0]!.type !== r.type)) {
      runs.push(run);
      run = [];
    }
    run.push(r);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

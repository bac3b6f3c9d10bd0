/**
 * Group commit for accepted calls. Every SmartCall must be durable before its CallId is returned,
 * but one SQLite transaction per request costs a WAL write each; requests that arrive in the same
 * turn of the event loop are instead inserted in one transaction, and each is answered once that
 * transaction has committed. Over the async store (PostgreSQL, an API node) a batch is one INSERT
 * statement (one round trip, its own transaction), and at most `maxInFlight` batches run at once:
 * what arrives while they commit waits and goes out as the next, bigger batch, so under load the
 * cost of a round trip (a socket write, a statement, a commit) is shared by many calls. A batch holds
 * at most MAX_BATCH calls (one statement's parameters, one transaction's size); more go in the next.
 */

/** Inserts a batch in one transaction: for each record, false when its CallId already existed. */
type Commit = (records: CallRecord[]) => boolean[] | Promise<boolean[]>;

import type { CallRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';

/** Calls per batch at most: more go out in the next batch. */
export const MAX_BATCH = 1000;

interface Pending {
  record: CallRecord;
  resolve: (inserted: boolean) => void;
  reject: (err: unknown) => void;
}

export class CallWriter {
  readonly #commit: Commit;
  readonly #maxInFlight: number;
  #pending: Pending[] = [];
  #scheduled = false;
  #inFlight = 0;

  /** `maxInFlight`: batches committing at once (default: no limit). */
  constructor(store: Store | { commit: Commit; maxInFlight?: number }) {
    if ('commit' in store) {
      this.#commit = store.commit;
      this.#maxInFlight = store.maxInFlight ?? Number.POSITIVE_INFINITY;
    } else {
      this.#commit = (records) => store.transaction(() => records.map((r) => store.calls.insert(r)));
      this.#maxInFlight = Number.POSITIVE_INFINITY;
    }
  }

  /**
   * The writer over the async store (PostgreSQL): each batch is one multi-row INSERT, at most
   * `maxInFlight` of them at once (two: one commits while the next is on its way).
   */
  static overAsync(
    calls: { insertAll(records: readonly CallRecord[]): Promise<boolean[]> },
    maxInFlight = 2,
  ): CallWriter {
    return new CallWriter({ commit: (records) => calls.insertAll(records), maxInFlight });
  }

  /** Resolves true once committed, false if the CallId already existed; rejects if the write failed. */
  insert(record: CallRecord): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ record, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    // Full: the batch keeps growing until a commit in flight ends (#landed flushes it then).
    while (this.#pending.length > 0 && this.#inFlight < this.#maxInFlight) {
      const batch = this.#pending.splice(0, MAX_BATCH);
      let results: boolean[] | Promise<boolean[]>;
      try {
        results = this.#commit(batch.map((p) => p.record));
      } catch (err) {
        for (const p of batch) p.reject(err);
        continue;
      }
      if (Array.isArray(results)) {
        settle(batch, results);
        continue;
      }
      this.#inFlight++;
      results.then(
        (r) => this.#landed(() => settle(batch, r)),
        (err) =>
          this.#landed(() => {
            for (const p of batch) p.reject(err);
          }),
      );
    }
  }

  #landed(answer: () => void): void {
    this.#inFlight--;
    answer();
    this.#flush();
  }
}

function settle(batch: readonly Pending[], results: readonly boolean[]): void {
  for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
}

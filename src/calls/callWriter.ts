/**
 * Group commit for accepted calls. Every SmartCall must be durable before its CallId is returned,
 * but one SQLite transaction per request costs a WAL write each; requests that arrive in the same
 * turn of the event loop are instead inserted in one transaction, and each is answered once that
 * transaction has committed. Over the async store (PostgreSQL, an API node) the same: one
 * transaction per turn's batch; batches of later turns may commit meanwhile on other connections.
 */

/** Inserts a batch in one transaction: for each record, false when its CallId already existed. */
type Commit = (records: CallRecord[]) => boolean[] | Promise<boolean[]>;

import type { AsyncStore } from '../store/asyncStore.js';
import type { CallRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';

interface Pending {
  record: CallRecord;
  resolve: (inserted: boolean) => void;
  reject: (err: unknown) => void;
}

export class CallWriter {
  readonly #commit: Commit;
  #pending: Pending[] = [];
  #scheduled = false;

  constructor(store: Store | { commit: Commit }) {
    if ('commit' in store) this.#commit = store.commit;
    else this.#commit = (records) => store.transaction(() => records.map((r) => store.calls.insert(r)));
  }

  /** The writer over the async store: each batch is one transaction on it. */
  static overAsync(store: Pick<AsyncStore, 'transaction'>): CallWriter {
    return new CallWriter({
      commit: (records) =>
        store.transaction(async (tx) => {
          const inserted: boolean[] = [];
          for (const r of records) inserted.push(await tx.calls.insert(r));
          return inserted;
        }),
    });
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
    const batch = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    let results: boolean[] | Promise<boolean[]>;
    try {
      results = this.#commit(batch.map((p) => p.record));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    if (Array.isArray(results)) settle(batch, results);
    else
      results.then(
        (r) => settle(batch, r),
        (err) => {
          for (const p of batch) p.reject(err);
        },
      );
  }
}

function settle(batch: readonly Pending[], results: readonly boolean[]): void {
  for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
}

/**
 * Group commit for accepted calls. Every SmartCall must be durable before its CallId is returned,
 * but one SQLite transaction per request costs a WAL write each; requests that arrive in the same
 * turn of the event loop are instead inserted in one transaction, and each is answered once that
 * transaction has committed.
 */

import type { CallRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';

interface Pending {
  record: CallRecord;
  resolve: (inserted: boolean) => void;
  reject: (err: unknown) => void;
}

export class CallWriter {
  readonly #store: Store;
  #pending: Pending[] = [];
  #scheduled = false;

  constructor(store: Store) {
    this.#store = store;
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
    let results: boolean[];
    try {
      results = this.#store.transaction(() => batch.map((p) => this.#store.calls.insert(p.record)));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
  }
}

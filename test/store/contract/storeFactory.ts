/**
 * The one set of store behaviour tests (issue 15), run against every store: the embedded SQLite one
 * (through its async adapter) and PostgreSQL. Each test gets a fresh, empty store of its own.
 */
import type { AsyncStore } from '../../../src/store/asyncStore.js';

export interface StoreFactory {
  /** `sqlite` or `postgres`: shown in the test names. */
  name: string;
  open(): Promise<AsyncStore>;
}

/** Runs `body` on a fresh store and closes it whatever happens. */
export async function withStore(
  factory: StoreFactory,
  body: (store: AsyncStore) => Promise<void>,
): Promise<void> {
  const store = await factory.open();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

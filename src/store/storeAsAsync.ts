/**
 * The embedded SQLite store behind the async face. Each method runs synchronously and hands back a
 * settled Promise, so moving a caller to `AsyncStore` changes nothing it can observe but when its
 * continuation runs (a microtask later).
 */
import type { AsyncRepositories, AsyncStore } from './asyncStore.js';
import type { Store } from './repositories.js';

const REPOSITORIES = [
  'meta',
  'accounts',
  'accessKeys',
  'numbers',
  'voiceFiles',
  'asrModels',
  'ttsTemplates',
  'dialogScripts',
  'calls',
  'trunks',
  'callbackExchanges',
  'callEvents',
  'receipts',
  'consoleUsers',
  'consoleSessions',
  'callStats',
  'policies',
  'campaigns',
  'amdSettings',
] as const satisfies readonly (keyof AsyncRepositories)[];

/** Wraps every method of a synchronous repository: its result, or its throw, as a Promise. */
function promised<R extends object>(repo: R): unknown {
  return new Proxy(repo, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          return Promise.resolve(value.apply(target, args));
        } catch (err) {
          return Promise.reject(err);
        }
      };
    },
  });
}

/**
 * SQLite transactions are synchronous; an async one is BEGIN IMMEDIATE … COMMIT on the one
 * connection, one at a time (later ones wait their turn). While one is open, only microtasks run
 * between its statements as long as `fn` awaits nothing but the store, so no other caller's write
 * can slip into it; a `fn` that awaits I/O would let other writes of this process join it.
 */
class SqliteAsyncStore implements AsyncStore {
  readonly kind = 'sqlite' as const;
  readonly #store: Store & { db?: { exec(sql: string): unknown; inTransaction: boolean } };
  #turn: Promise<unknown> = Promise.resolve();
  declare readonly meta: AsyncStore['meta'];
  declare readonly accounts: AsyncStore['accounts'];
  declare readonly accessKeys: AsyncStore['accessKeys'];
  declare readonly numbers: AsyncStore['numbers'];
  declare readonly voiceFiles: AsyncStore['voiceFiles'];
  declare readonly asrModels: AsyncStore['asrModels'];
  declare readonly ttsTemplates: AsyncStore['ttsTemplates'];
  declare readonly dialogScripts: AsyncStore['dialogScripts'];
  declare readonly calls: AsyncStore['calls'];
  declare readonly trunks: AsyncStore['trunks'];
  declare readonly callbackExchanges: AsyncStore['callbackExchanges'];
  declare readonly callEvents: AsyncStore['callEvents'];
  declare readonly receipts: AsyncStore['receipts'];
  declare readonly consoleUsers: AsyncStore['consoleUsers'];
  declare readonly consoleSessions: AsyncStore['consoleSessions'];
  declare readonly callStats: AsyncStore['callStats'];
  declare readonly policies: AsyncStore['policies'];
  declare readonly campaigns: AsyncStore['campaigns'];
  declare readonly amdSettings: AsyncStore['amdSettings'];

  constructor(store: Store) {
    this.#store = store;
    const self = this as unknown as Record<string, unknown>;
    for (const name of REPOSITORIES) self[name] = promised(store[name]);
  }

  /** The synchronous store underneath (for callers not moved yet). */
  get sync(): Store {
    return this.#store;
  }

  transaction<T>(fn: (tx: AsyncRepositories) => Promise<T>): Promise<T> {
    const run = this.#turn.then(() => this.#run(fn));
    this.#turn = run.catch(() => undefined);
    return run;
  }

  async #run<T>(fn: (tx: AsyncRepositories) => Promise<T>): Promise<T> {
    const db = this.#store.db;
    if (!db) {
      // Not a SQLite store (a test double): its own transaction cannot span awaits.
      return fn(this);
    }
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = await fn(this);
      db.exec('COMMIT');
      return result;
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.#turn;
    this.#store.close();
  }
}

/** The async face over a synchronous store (the embedded SQLite one). */
export function asyncStoreOver(store: Store): AsyncStore & { readonly sync: Store } {
  return new SqliteAsyncStore(store);
}

/** What every command needs: the effective config, and (for admin commands) the store. */
import { type Config, type ConfigOverrides, loadConfig } from '../config.js';
import { PgStore } from '../store/postgres/pgStore.js';
import { SqliteStore } from '../store/sqlite/sqliteStore.js';
import { asyncStoreOver } from '../store/storeAsAsync.js';
import { AsyncTenancyAdmin } from '../tenancy/asyncTenancyAdmin.js';
import { SecretBox } from '../tenancy/secretBox.js';
import { TenancyAdmin } from '../tenancy/tenancyAdmin.js';
import type { Sealer } from '../tenancy/tenancyRules.js';

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  json?: boolean;
  /** `admin --store`: sqlite or a postgres:// URL (env SMARTCALL_STORE_URL). */
  store?: string;
}

/** Settings a command's own flags override (named one by one, so no flag is silently dropped). */
export type CommandOverrides = Omit<ConfigOverrides, 'configFile' | 'dataDir'>;

export function configFrom(options: GlobalOptions, overrides: CommandOverrides = {}): Config {
  return loadConfig({
    storeUrl: options.store,
    ...overrides,
    configFile: options.config,
    dataDir: options.dataDir,
  });
}

/** What the admin commands built for a PostgreSQL store (issue 15); the others refuse there. */
export const POSTGRES_ADMIN_COMMANDS = [
  'account create',
  'account list',
  'key create',
  'key list',
  'number add',
  'number list',
  'callback set',
  'receipts set',
] as const;

/** Refuses, by name, an admin command not built for a PostgreSQL store when that is the store. */
export function refuseOnPostgres(options: GlobalOptions, command: string): void {
  if (configFrom(options).store.url === 'sqlite') return;
  if ((POSTGRES_ADMIN_COMMANDS as readonly string[]).includes(command)) return;
  throw new Error(
    `not yet on a postgres store: admin ${command} (built there: ${POSTGRES_ADMIN_COMMANDS.join(', ')})`,
  );
}

function sqliteOnly(config: Config): void {
  if (config.store.url !== 'sqlite')
    throw new Error('not yet on a postgres store: this command works on the data directory (SQLite) only');
}

/**
 * On a shared store every node opens the sealed secrets with the master key; a key file of this
 * machine's data directory would seal what no node can open, so sealing is refused without it.
 */
function sharedSealer(config: Config): Sealer {
  if (config.masterKey !== undefined) return SecretBox.fromMasterKey(config.masterKey);
  return {
    seal() {
      throw new Error(
        'a postgres store needs masterKey (SMARTCALL_MASTER_KEY), the one the nodes use, to seal a secret',
      );
    },
  };
}

/**
 * Opens the configured store (SQLite in the data directory, or PostgreSQL with `--store`) for one
 * account-administration command, and closes it afterwards, whatever happens.
 */
export async function withTenancy<T>(
  options: GlobalOptions,
  fn: (admin: AsyncTenancyAdmin) => Promise<T>,
): Promise<T> {
  const config = configFrom(options);
  if (config.store.url === 'sqlite') {
    const store = SqliteStore.open(config.dataDir);
    try {
      return await fn(new AsyncTenancyAdmin(asyncStoreOver(store), SecretBox.forConfig(config)));
    } finally {
      store.close();
    }
  }
  const store = await PgStore.open(config.store.url, { poolSize: 1 });
  try {
    return await fn(new AsyncTenancyAdmin(store, sharedSealer(config)));
  } finally {
    await store.close();
  }
}

/** Opens the store for one admin command and closes it afterwards, whatever happens. */
export function withAdmin<T>(options: GlobalOptions, fn: (admin: TenancyAdmin, store: SqliteStore) => T): T {
  const config = configFrom(options);
  sqliteOnly(config);
  const store = SqliteStore.open(config.dataDir);
  try {
    return fn(new TenancyAdmin(store, SecretBox.forConfig(config)), store);
  } finally {
    store.close();
  }
}

/** `withAdmin` for commands that do asynchronous work before they are done with the store. */
export async function withAdminAsync<T>(
  options: GlobalOptions,
  fn: (admin: TenancyAdmin, store: SqliteStore) => Promise<T>,
): Promise<T> {
  const config = configFrom(options);
  sqliteOnly(config);
  const store = SqliteStore.open(config.dataDir);
  try {
    return await fn(new TenancyAdmin(store, SecretBox.forConfig(config)), store);
  } finally {
    store.close();
  }
}

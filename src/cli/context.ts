/** What every command needs: the effective config, and (for admin commands) the store. */
import { type Config, type ConfigOverrides, loadConfig } from '../config.js';
import { SqliteStore } from '../store/sqlite/sqliteStore.js';
import { SecretBox } from '../tenancy/secretBox.js';
import { TenancyAdmin } from '../tenancy/tenancyAdmin.js';

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

/** Settings a command's own flags override (named one by one, so no flag is silently dropped). */
export type CommandOverrides = Omit<ConfigOverrides, 'configFile' | 'dataDir'>;

export function configFrom(options: GlobalOptions, overrides: CommandOverrides = {}): Config {
  return loadConfig({ ...overrides, configFile: options.config, dataDir: options.dataDir });
}

/** Opens the store for one admin command and closes it afterwards, whatever happens. */
export function withAdmin<T>(options: GlobalOptions, fn: (admin: TenancyAdmin, store: SqliteStore) => T): T {
  const config = configFrom(options);
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
  const store = SqliteStore.open(config.dataDir);
  try {
    return await fn(new TenancyAdmin(store, SecretBox.forConfig(config)), store);
  } finally {
    store.close();
  }
}

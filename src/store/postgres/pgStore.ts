/**
 * The store on PostgreSQL (distributed mode, issue 15): the async repositories over one pool, the
 * schema brought up to date on open. Inside `transaction`, the repositories run on the transaction's
 * client.
 */
import type pg from 'pg';
import type { AsyncRepositories, AsyncStore } from '../asyncStore.js';
import { PgAmdSettingsRepository } from './amdSettingsTable.js';
import { PgCallEventRepository } from './callEventTable.js';
import { PgCallStatsRepository } from './callStatsTable.js';
import { PgCallbackExchangeRepository, PgCallRepository, PgReceiptRepository } from './callTables.js';
import { PgCampaignRepository } from './campaignTables.js';
import { PgConsoleSessionRepository, PgConsoleUserRepository } from './consoleTables.js';
import {
  PgAsrModelRepository,
  PgDialogScriptRepository,
  PgTtsTemplateRepository,
  PgVoiceFileRepository,
} from './mediaTables.js';
import { checkOut, migratePg, openPool, type Queryable } from './pgDatabase.js';
import { PgPolicyRepository } from './policyTables.js';
import {
  PgAccessKeyRepository,
  PgAccountRepository,
  PgDisplayNumberRepository,
  PgMetaRepository,
} from './tenancyTables.js';
import { PgTrunkRepository } from './trunkTable.js';

type Begin = <T>(fn: (db: Queryable) => Promise<T>) => Promise<T>;

/** The repositories; `calls` with its PostgreSQL-only batch insert (the API node's CallWriter). */
function repositories(db: Queryable, begin: Begin): AsyncRepositories & { calls: PgCallRepository } {
  return {
    meta: new PgMetaRepository(db),
    accounts: new PgAccountRepository(db),
    accessKeys: new PgAccessKeyRepository(db),
    numbers: new PgDisplayNumberRepository(db),
    voiceFiles: new PgVoiceFileRepository(db),
    asrModels: new PgAsrModelRepository(db),
    ttsTemplates: new PgTtsTemplateRepository(db),
    dialogScripts: new PgDialogScriptRepository(db),
    calls: new PgCallRepository(db),
    trunks: new PgTrunkRepository(db, begin),
    callbackExchanges: new PgCallbackExchangeRepository(db),
    callEvents: new PgCallEventRepository(db),
    receipts: new PgReceiptRepository(db, begin),
    consoleUsers: new PgConsoleUserRepository(db),
    consoleSessions: new PgConsoleSessionRepository(db),
    callStats: new PgCallStatsRepository(db),
    policies: new PgPolicyRepository(db, begin),
    campaigns: new PgCampaignRepository(db, begin),
    amdSettings: new PgAmdSettingsRepository(db),
  };
}

/** Runs `fn` on one client of the pool inside BEGIN … COMMIT (ROLLBACK when it throws). */
export async function inTransaction<T>(pool: pg.Pool, fn: (db: pg.PoolClient) => Promise<T>): Promise<T> {
  const { client, release } = await checkOut(pool);
  try {
    await client.query('BEGIN');
    try {
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    release();
  }
}

export interface PgStoreOptions {
  /** Connections at most in this node's pool (default 10). */
  poolSize?: number;
}

export class PgStore implements AsyncStore {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  readonly meta;
  readonly accounts;
  readonly accessKeys;
  readonly numbers;
  readonly voiceFiles;
  readonly asrModels;
  readonly ttsTemplates;
  readonly dialogScripts;
  readonly calls;
  readonly trunks;
  readonly callbackExchanges;
  readonly callEvents;
  readonly receipts;
  readonly consoleUsers;
  readonly consoleSessions;
  readonly callStats;
  readonly policies;
  readonly campaigns;
  readonly amdSettings;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
    const r = repositories(pool, (fn) => inTransaction(pool, fn));
    this.meta = r.meta;
    this.accounts = r.accounts;
    this.accessKeys = r.accessKeys;
    this.numbers = r.numbers;
    this.voiceFiles = r.voiceFiles;
    this.asrModels = r.asrModels;
    this.ttsTemplates = r.ttsTemplates;
    this.dialogScripts = r.dialogScripts;
    this.calls = r.calls;
    this.trunks = r.trunks;
    this.callbackExchanges = r.callbackExchanges;
    this.callEvents = r.callEvents;
    this.receipts = r.receipts;
    this.consoleUsers = r.consoleUsers;
    this.consoleSessions = r.consoleSessions;
    this.callStats = r.callStats;
    this.policies = r.policies;
    this.campaigns = r.campaigns;
    this.amdSettings = r.amdSettings;
  }

  /** Connects to `url` (postgres://…) and applies the migrations not yet applied. */
  static async open(url: string, options: PgStoreOptions = {}): Promise<PgStore> {
    const pool = openPool(url, { max: options.poolSize ?? 10 });
    try {
      await migratePg(pool);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PgStore(pool);
  }

  transaction<T>(fn: (tx: AsyncRepositories) => Promise<T>): Promise<T> {
    // Inside, a repository's own multi-statement write joins the outer transaction.
    return inTransaction(this.pool, (client) => fn(repositories(client, (inner) => inner(client))));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

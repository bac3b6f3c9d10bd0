import { join } from 'node:path';
import type { Store } from '../repositories.js';
import { SqliteAccessKeyRepository } from './accessKeyTable.js';
import { SqliteAccountRepository } from './accountTable.js';
import { SqliteAmdSettingsRepository } from './amdSettingsTable.js';
import { SqliteCallbackExchangeRepository } from './callbackExchangeTable.js';
import { SqliteCallEventRepository } from './callEventTable.js';
import { SqliteCallStatsRepository } from './callStatsTable.js';
import { SqliteCallRepository } from './callTable.js';
import { SqliteCampaignRepository } from './campaignTables.js';
import { SqliteConsoleSessionRepository, SqliteConsoleUserRepository } from './consoleTables.js';
import { openDatabase, type SqliteDatabase } from './database.js';
import { SqliteDialogScriptRepository } from './dialogScriptTable.js';
import { SqliteDisplayNumberRepository } from './displayNumberTable.js';
import {
  SqliteAsrModelRepository,
  SqliteTtsTemplateRepository,
  SqliteVoiceFileRepository,
} from './mediaTables.js';
import { SqliteMetaRepository } from './metaTable.js';
import { SqlitePolicyRepository } from './policyTables.js';
import { SqliteReceiptRepository } from './receiptTable.js';
import { SqliteTrunkRepository } from './trunkTable.js';

/** The embedded store: one SQLite file, `smartcall.db`, in the data directory. */
export class SqliteStore implements Store {
  readonly db: SqliteDatabase;
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

  constructor(db: SqliteDatabase) {
    this.db = db;
    this.meta = new SqliteMetaRepository(db);
    this.accounts = new SqliteAccountRepository(db);
    this.accessKeys = new SqliteAccessKeyRepository(db);
    this.numbers = new SqliteDisplayNumberRepository(db);
    this.voiceFiles = new SqliteVoiceFileRepository(db);
    this.asrModels = new SqliteAsrModelRepository(db);
    this.ttsTemplates = new SqliteTtsTemplateRepository(db);
    this.dialogScripts = new SqliteDialogScriptRepository(db);
    this.calls = new SqliteCallRepository(db);
    this.trunks = new SqliteTrunkRepository(db);
    this.callbackExchanges = new SqliteCallbackExchangeRepository(db);
    this.callEvents = new SqliteCallEventRepository(db);
    this.receipts = new SqliteReceiptRepository(db);
    this.consoleUsers = new SqliteConsoleUserRepository(db);
    this.consoleSessions = new SqliteConsoleSessionRepository(db);
    this.callStats = new SqliteCallStatsRepository(db);
    this.policies = new SqlitePolicyRepository(db);
    this.campaigns = new SqliteCampaignRepository(db);
    this.amdSettings = new SqliteAmdSettingsRepository(db);
  }

  static open(dataDir: string): SqliteStore {
    return new SqliteStore(openDatabase(join(dataDir, 'smartcall.db')));
  }

  static inMemory(): SqliteStore {
    return new SqliteStore(openDatabase(':memory:'));
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * The store's async face (issue 15): the same repositories as `Store` (repositories.ts), each
 * method returning a Promise, so PostgreSQL can stand behind them. SQLite stays the default and
 * gives this face through `asyncStoreOver` (storeAsAsync.ts); callers move to it one by one.
 */
import type { CallStatsRepository } from './callStats.js';
import type {
  AccessKeyRepository,
  AccountRepository,
  AmdSettingsRepository,
  AsrModelRepository,
  CallbackExchangeRepository,
  CallEventRepository,
  CallRepository,
  CampaignRepository,
  ConsoleSessionRepository,
  ConsoleUserRepository,
  DialogScriptRepository,
  DisplayNumberRepository,
  MetaRepository,
  PolicyRepository,
  ReceiptRepository,
  TrunkRepository,
  TtsTemplateRepository,
  VoiceFileRepository,
} from './repositories.js';

/** A repository whose every method returns a Promise of what the synchronous one returns. */
export type Async<R> = {
  [K in keyof R]: R[K] extends (...args: infer A) => infer T ? (...args: A) => Promise<Awaited<T>> : R[K];
};

/** Every repository of the store; inside a transaction, each bound to it. */
export interface AsyncRepositories {
  readonly meta: Async<MetaRepository>;
  readonly accounts: Async<AccountRepository>;
  readonly accessKeys: Async<AccessKeyRepository>;
  readonly numbers: Async<DisplayNumberRepository>;
  readonly voiceFiles: Async<VoiceFileRepository>;
  readonly asrModels: Async<AsrModelRepository>;
  readonly ttsTemplates: Async<TtsTemplateRepository>;
  readonly dialogScripts: Async<DialogScriptRepository>;
  readonly calls: Async<CallRepository>;
  readonly trunks: Async<TrunkRepository>;
  readonly callbackExchanges: Async<CallbackExchangeRepository>;
  readonly callEvents: Async<CallEventRepository>;
  readonly receipts: Async<ReceiptRepository>;
  readonly consoleUsers: Async<ConsoleUserRepository>;
  readonly consoleSessions: Async<ConsoleSessionRepository>;
  readonly callStats: Async<CallStatsRepository>;
  readonly policies: Async<PolicyRepository>;
  readonly campaigns: Async<CampaignRepository>;
  readonly amdSettings: Async<AmdSettingsRepository>;
}

export interface AsyncStore extends AsyncRepositories {
  /** `sqlite` (embedded) or `postgres`. */
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Runs `fn` atomically: all of its writes through `tx` land, or none (it throws: rolled back).
   * Only `tx`'s repositories are inside the transaction; the store's own ones are not.
   */
  transaction<T>(fn: (tx: AsyncRepositories) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

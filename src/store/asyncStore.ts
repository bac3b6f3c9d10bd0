/**
 * The store's async face (issue 15): the same repositories as `Store` (repositories.ts), each
 * method returning a Promise, so PostgreSQL can stand behind them. SQLite stays the default and
 * gives this face through `asyncStoreOver` (storeAsAsync.ts); callers move to it one by one.
 */
import type { CallStatsRepository } from './callStats.js';
import type { ReceiptRecord } from './records.js';
import type {
  AccessKeyRepository,
  AccountRepository,
  AmdSettingsRepository,
  AsrModelRepository,
  CallbackExchangeRepository,
  CallEventRepository,
  CallPatch,
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

/**
 * Which node may write a call (media nodes, issue 15): a fenced update lands only while the call is
 * still `claimed_by` this node, and never over a terminal state (`ended`, `failed`) unless
 * `terminalOk` (this node wrote that terminal state itself, earlier in the call's ordered writes).
 */
export interface CallFence {
  node: string;
  terminalOk: boolean;
}

/**
 * An outbox shared by several receipt pushers (PostgreSQL): a pusher claims due receipts under a
 * lease (a time; each claim's own, and its token), sends them, and marks them only while it still
 * holds them. A pusher that dies leaves its leases to run out; then another one claims the receipts.
 * A call's later receipt of a stream is never claimed while an earlier one is leased or waiting.
 */
export interface ReceiptLeases {
  /** Due receipts, oldest first, leased until `leaseUntil`. */
  claim(now: number, limit: number, leaseUntil: number): Promise<ReceiptRecord[]>;
  /** Extends the lease of those of `ids` still held under `leaseUntil`; returns their ids. */
  renew(ids: readonly number[], leaseUntil: number, until: number): Promise<number[]>;
  /** Gives back receipts not sent: due again at `at`. */
  release(ids: readonly number[], leaseUntil: number, at: number): Promise<void>;
  /** markDelivered of those still held under `leaseUntil`; returns how many. */
  markDeliveredUnder(ids: readonly number[], at: number, leaseUntil: number): Promise<number>;
  /** markFailed of those still held under `leaseUntil`. */
  markFailedUnder(
    ids: readonly number[],
    error: string,
    nextAttemptAt: number | undefined,
    leaseUntil: number,
  ): Promise<void>;
}

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
  /** `updateFenced` where the store can fence (PostgreSQL): false when the fence did not hold. */
  readonly calls: Async<CallRepository> & {
    updateFenced?(callId: string, patch: CallPatch, fence: CallFence): Promise<boolean>;
  };
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

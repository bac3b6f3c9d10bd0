/**
 * Repository interfaces: the only way the rest of the system reaches stored data. SQLite implements
 * them (store/sqlite). Methods are synchronous because the embedded store is; their async face
 * (asyncStore.ts) is what PostgreSQL implements (store/postgres), and both pass one contract suite
 * (test/store/contract).
 */
import type { CallStatsRepository } from './callStats.js';
import type {
  AccessKeyRecord,
  AccessKeyStatus,
  AccountRecord,
  AccountStatus,
  AsrModelRecord,
  CallbackExchangeRecord,
  CallbackSettings,
  CallCursor,
  CallDecisionRecord,
  CallEventRecord,
  CallFilter,
  CallRecord,
  CallState,
  CampaignRecord,
  CampaignRowRecord,
  CampaignRowState,
  CampaignState,
  ConsoleSessionRecord,
  ConsoleUserRecord,
  DialogScriptRecord,
  DisplayNumberRecord,
  DncRecord,
  ReceiptRecord,
  ReceiptSettings,
  TrunkRecord,
  TrunkRegistrationRecord,
  TtsTemplateRecord,
  VoiceFileRecord,
} from './records.js';

export interface AccountRepository {
  create(input: { name: string; qps?: number | null; now: number }): AccountRecord;
  findById(id: number): AccountRecord | undefined;
  findByName(name: string): AccountRecord | undefined;
  list(): AccountRecord[];
  setStatus(id: number, status: AccountStatus): void;
  setQps(id: number, qps: number | null): void;
  /** The `transfer` / `parallel_transfer` number patterns; null restores the default. */
  setAllowedDestinations(id: number, patterns: readonly string[] | null): void;
  setCallback(id: number, settings: CallbackSettings): void;
  /** Replaces the receipt settings; without `typeUrls`, no type has its own URL. */
  setReceipts(id: number, settings: Omit<ReceiptSettings, 'typeUrls'> & Partial<ReceiptSettings>): void;
}

export interface AccessKeyRepository {
  insert(record: AccessKeyRecord): void;
  find(accessKeyId: string): AccessKeyRecord | undefined;
  listByAccount(accountId: number): AccessKeyRecord[];
  setStatus(accessKeyId: string, status: AccessKeyStatus): boolean;
  delete(accessKeyId: string): boolean;
}

export interface DisplayNumberRepository {
  add(record: DisplayNumberRecord): void;
  remove(accountId: number, number: string): boolean;
  /** Marks an account's number as receiving inbound calls (or not); false when it does not own it. */
  setInbound(accountId: number, number: string, inbound: boolean): boolean;
  find(number: string): DisplayNumberRecord | undefined;
  listByAccount(accountId: number): DisplayNumberRecord[];
}

export interface VoiceFileRepository {
  insert(record: VoiceFileRecord): void;
  find(accountId: number, id: string): VoiceFileRecord | undefined;
  /** Every account's file with this ID (IDs are issued unique; older data may repeat one). */
  findEverywhere(id: string): VoiceFileRecord[];
  listByAccount(accountId: number): VoiceFileRecord[];
}

export interface AsrModelRepository {
  insert(record: AsrModelRecord): void;
  find(accountId: number, id: string): AsrModelRecord | undefined;
  /** Every account's model with this ID (IDs are issued unique; older data may repeat one). */
  findEverywhere(id: string): AsrModelRecord[];
  listByAccount(accountId: number): AsrModelRecord[];
  /** A new name and phrase list for an account's model; false when it has no such model. */
  update(accountId: number, id: string, change: { name: string; phrases: string }): boolean;
}

export interface TtsTemplateRepository {
  insert(record: TtsTemplateRecord): void;
  find(accountId: number, id: string): TtsTemplateRecord | undefined;
  findEverywhere(id: string): TtsTemplateRecord[];
  listByAccount(accountId: number): TtsTemplateRecord[];
  remove(accountId: number, id: string): boolean;
}

export interface DialogScriptRepository {
  /** Adds the script, or replaces the account's script of that ID (keeping its creation time). */
  put(record: DialogScriptRecord): void;
  find(accountId: number, id: string): DialogScriptRecord | undefined;
  listByAccount(accountId: number): DialogScriptRecord[];
  remove(accountId: number, id: string): boolean;
}

/** The fields of a call that change while it runs. */
export type CallPatch = Partial<
  Pick<
    CallRecord,
    | 'state'
    | 'originateAt'
    | 'ringAt'
    | 'answerAt'
    | 'endAt'
    | 'statusCode'
    | 'smartStatusCode'
    | 'statusMsg'
    | 'hangupDirection'
    | 'dynamicId'
    | 'trunk'
    | 'sipStatus'
    | 'sipReason'
    | 'dtmf'
    | 'earlyMediaCode'
    | 'recordPath'
    | 'recordBeginAt'
    | 'parallelLegHangupCause'
    | 'amd'
  >
>;

export interface CallRepository {
  /** Returns false when the CallId already exists (the caller makes a new one). */
  insert(record: CallRecord): boolean;
  find(callId: string): CallRecord | undefined;
  /** Calls in one of `states`, oldest first (the dialer's durable queue, the reaper's orphans). */
  listByState(states: readonly CallState[], limit?: number): CallRecord[];
  /** Changes the given fields; false when the call does not exist. */
  update(callId: string, patch: CallPatch): boolean;
  countByState(): Record<string, number>;
  /**
   * How many calls of a scripted action (SingleCallByTts, …; `SmartCall` for the others) the account
   * placed to `calledNumber` at or after each instant of `since` (epoch ms), in that order.
   */
  countToCallee(accountId: number, calledNumber: string, action: string, since: readonly number[]): number[];
  /**
   * Calls matching `filter`, newest first (created_at, then CallId), at most `limit`, continuing
   * after `after` (keyset paging: as fast on page 1000 as on page 1).
   */
  page(filter: CallFilter, after: CallCursor | undefined, limit: number): CallRecord[];
}

export interface TrunkRepository {
  /** Inserts or replaces by name; making one the default clears the others in the same write. */
  upsert(record: TrunkRecord): void;
  find(name: string): TrunkRecord | undefined;
  findDefault(): TrunkRecord | undefined;
  list(): TrunkRecord[];
  /** Saves what the server knows of a trunk's registration (no-op for an unknown trunk). */
  saveRegistration(name: string, registration: TrunkRegistrationRecord): void;
  /** The last saved registration of a trunk; undefined when it never registered. */
  registration(name: string): TrunkRegistrationRecord | undefined;
  remove(name: string): boolean;
}

export interface CallbackExchangeRepository {
  insert(record: CallbackExchangeRecord): void;
  listByCall(callId: string): CallbackExchangeRecord[];
}

/** A call's timeline events (prompts, speech, keys, barge-ins, states, callbacks), kept for the console. */
export interface CallEventRepository {
  /** Appends events in one transaction, in the order given. */
  append(records: readonly CallEventRecord[]): void;
  /** A call's events in the order they were appended. */
  listByCall(callId: string): CallEventRecord[];
  /** Deletes the oldest events up to the first one at or after `at` (retention); returns how many. */
  removeBefore(at: number): number;
}

export interface ReceiptRepository {
  /** Appends a receipt; false when its receipt id already exists (it was made before). */
  append(record: Omit<ReceiptRecord, 'id' | 'state' | 'attempts' | 'lastError' | 'deliveredAt'>): boolean;
  /**
   * Pending receipts due at `now`, oldest first, leaving out any whose call has an earlier receipt
   * of the same stream (URL) still waiting (a call's receipts to one URL are delivered in order).
   */
  due(now: number, limit: number): ReceiptRecord[];
  markDelivered(ids: readonly number[], at: number): void;
  /** Schedules another attempt, or gives up (`abandoned`) when `nextAttemptAt` is undefined. */
  markFailed(ids: readonly number[], error: string, nextAttemptAt: number | undefined): void;
  listByCall(callId: string): ReceiptRecord[];
  /**
   * The earliest next attempt after `now` among pending receipts (to sleep until then). Receipts
   * due already but waiting behind an earlier one of their call wake up with that one.
   */
  nextDueAt(now: number): number | undefined;
}

export interface ConsoleUserRepository {
  /** False when the name is taken. */
  insert(record: ConsoleUserRecord): boolean;
  find(name: string): ConsoleUserRecord | undefined;
  list(): ConsoleUserRecord[];
  /** Removes the user and their sessions; false when there was none. */
  remove(name: string): boolean;
}

export interface ConsoleSessionRepository {
  insert(record: ConsoleSessionRecord): void;
  find(tokenHash: string): ConsoleSessionRecord | undefined;
  remove(tokenHash: string): void;
  /** Forgets sessions that expired before `now`. */
  removeExpired(now: number): number;
}

/** Small named facts about the installation (e.g. that the demo account was made). */
export interface MetaRepository {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

/** Calling policies (JSON per account; account 0 the operator's), do-not-call lists, decisions. */
export interface PolicyRepository {
  get(accountId: number): string | undefined;
  set(accountId: number, policyJson: string, now: number): void;
  /** Adds numbers (existing ones keep their reason); returns how many were new. */
  addDnc(accountId: number, numbers: readonly string[], reason: string, now: number): number;
  /** Returns how many were removed. */
  removeDnc(accountId: number, numbers: readonly string[]): number;
  /** One account's list (undefined: every list). */
  listDnc(accountId?: number): DncRecord[];
  /** Grows with every change of a policy or a list (the gate reloads when it moves). */
  version(): number;
  addDecision(record: CallDecisionRecord): void;
  decisions(callId: string): CallDecisionRecord[];
}

export type CampaignRowPatch = Partial<
  Pick<CampaignRowRecord, 'state' | 'attempts' | 'nextAt' | 'lastCallId' | 'outcome' | 'reason'>
>;

export interface CampaignRepository {
  /** Inserts the campaign and its rows in one transaction; returns the campaign's id. */
  create(
    campaign: Omit<CampaignRecord, 'id' | 'total' | 'completedAt'>,
    rows: readonly Omit<
      CampaignRowRecord,
      'campaignId' | 'attempts' | 'lastCallId' | 'outcome' | 'updatedAt'
    >[],
  ): number;
  find(id: number): CampaignRecord | undefined;
  list(accountId?: number): CampaignRecord[];
  listByState(state: CampaignState): CampaignRecord[];
  setState(id: number, state: CampaignState, now: number): boolean;
  /** Rows `pending`/`waiting` due at `now`, by due time then row number. */
  due(campaignId: number, now: number, limit: number): CampaignRowRecord[];
  /** The earliest `nextAt` of a row still to call (undefined: none left). */
  nextDueAt(campaignId: number): number | undefined;
  updateRow(campaignId: number, rowNo: number, patch: CampaignRowPatch, now: number): void;
  /** Every row still to call becomes `cancelled` (rows being called finish). */
  cancelRows(campaignId: number, now: number): number;
  rowByCall(callId: string): CampaignRowRecord | undefined;
  rows(
    campaignId: number,
    options?: { state?: CampaignRowState; number?: string; offset?: number; limit?: number },
  ): CampaignRowRecord[];
  countRows(campaignId: number): Record<string, number>;
}

/** Answering-machine detection settings per account (`AmdSettings` as JSON; none: off). */
export interface AmdSettingsRepository {
  get(accountId: number): string | undefined;
  set(accountId: number, settingsJson: string, now: number): void;
  /** Turns detection off; false when it was not on. */
  remove(accountId: number): boolean;
}

export interface Store {
  readonly meta: MetaRepository;
  readonly accounts: AccountRepository;
  readonly accessKeys: AccessKeyRepository;
  readonly numbers: DisplayNumberRepository;
  readonly voiceFiles: VoiceFileRepository;
  readonly asrModels: AsrModelRepository;
  readonly ttsTemplates: TtsTemplateRepository;
  readonly dialogScripts: DialogScriptRepository;
  readonly calls: CallRepository;
  readonly trunks: TrunkRepository;
  readonly callbackExchanges: CallbackExchangeRepository;
  readonly callEvents: CallEventRepository;
  readonly receipts: ReceiptRepository;
  readonly consoleUsers: ConsoleUserRepository;
  readonly consoleSessions: ConsoleSessionRepository;
  readonly callStats: CallStatsRepository;
  readonly policies: PolicyRepository;
  readonly campaigns: CampaignRepository;
  readonly amdSettings: AmdSettingsRepository;
  /** Runs `fn` atomically: all of its writes land, or none. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

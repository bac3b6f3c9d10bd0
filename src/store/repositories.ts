/**
 * Repository interfaces: the only way the rest of the system reaches stored data. SQLite implements
 * them today (store/sqlite); a PostgreSQL adapter can follow and pass the same contract tests.
 * Methods are synchronous because the embedded store is; an async adapter would wrap a cache or
 * change these signatures in one place.
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
  CallEventRecord,
  CallFilter,
  CallRecord,
  CallState,
  ConsoleSessionRecord,
  ConsoleUserRecord,
  DisplayNumberRecord,
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

export interface Store {
  readonly meta: MetaRepository;
  readonly accounts: AccountRepository;
  readonly accessKeys: AccessKeyRepository;
  readonly numbers: DisplayNumberRepository;
  readonly voiceFiles: VoiceFileRepository;
  readonly asrModels: AsrModelRepository;
  readonly ttsTemplates: TtsTemplateRepository;
  readonly calls: CallRepository;
  readonly trunks: TrunkRepository;
  readonly callbackExchanges: CallbackExchangeRepository;
  readonly callEvents: CallEventRepository;
  readonly receipts: ReceiptRepository;
  readonly consoleUsers: ConsoleUserRepository;
  readonly consoleSessions: ConsoleSessionRepository;
  readonly callStats: CallStatsRepository;
  /** Runs `fn` atomically: all of its writes land, or none. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/**
 * The call engine's synchronous store on a media node (issue 15, `serve --role media`): the call
 * engine (CallSession, CallLedger, the callback exchanges, the event log, the prompt builder) keeps
 * its synchronous `Store` surface, and this puts an ordered per-call write-behind in front of the
 * shared AsyncStore (PostgreSQL):
 *
 * - Reads the call path makes are answered from memory: the calls this node carries (adopted when
 *   claimed), and each call's account, AMD settings, voice files and TTS templates, fetched before
 *   the session starts (`prefetch`) and kept a few seconds.
 * - Writes change that memory at once and are queued per call: the writes of one call reach the
 *   AsyncStore in the order they were made, one `transaction` of the engine (the ledger's record +
 *   receipts) as one transaction there. A write that fails is logged with its cause and tried again
 *   (backing off up to 5 s) until it lands: it is never dropped. `flush(callId)` resolves once every
 *   write of the call so far has landed (a call is forgotten only after that).
 *
 * Anything else of the `Store` surface is not served on a media node: it throws, naming the method.
 */
import type { Clock } from '../clock/clock.js';
import { sleep } from '../clock/within.js';
import type { Logger } from '../observability/logger.js';
import type { AsyncRepositories, AsyncStore } from './asyncStore.js';
import type {
  AccountRecord,
  AsrModelRecord,
  CallbackExchangeRecord,
  CallEventRecord,
  CallRecord,
  CallState,
  ReceiptRecord,
  TrunkRecord,
  TtsTemplateRecord,
  VoiceFileRecord,
} from './records.js';
import type { CallPatch, Store } from './repositories.js';

type Write = (tx: AsyncRepositories) => Promise<unknown>;

interface Lane {
  /** Batches not landed yet, in order; each one transaction. */
  batches: { writes: Write[]; receipts: boolean }[];
  /** The worker applying them, while there are some. */
  running: Promise<void> | undefined;
}

interface AccountData {
  account: AccountRecord | undefined;
  amd: string | undefined;
  voiceFiles: Map<string, VoiceFileRecord>;
  ttsTemplates: Map<string, TtsTemplateRecord>;
  asrModels: Map<string, AsrModelRecord>;
  at: number;
}

export interface WriteBehindOptions {
  store: AsyncStore;
  clock: Clock;
  log: Logger;
  /** How long prefetched account data is used before it is fetched again (default 5 s). */
  freshMs?: number;
  /** Told after a batch with receipts landed (the pusher wakes up). */
  onReceipts?: () => void;
}

const RETRY_MS = [100, 250, 500, 1000, 2000, 5000];

export class WriteBehindStore {
  readonly #o: WriteBehindOptions;
  readonly #calls = new Map<string, CallRecord>();
  readonly #accounts = new Map<number, AccountData>();
  readonly #lanes = new Map<string, Lane>();
  #trunks: TrunkRecord[] = [];
  /** The engine's open `transaction`: its writes, and how to undo its changes to memory. */
  #batch: { writes: Map<string, Write[]>; undo: (() => void)[]; receipts: Set<string> } | undefined;
  /** Writes that failed at least once (the metric a test and an operator look at). */
  failedWrites = 0;
  /** The sync `Store` the engine is given (repositories not served here throw). */
  readonly sync: Store;

  constructor(options: WriteBehindOptions) {
    this.#o = options;
    this.sync = this.#surface();
  }

  /** A call this node now carries (claimed, or an orphan it finalises). */
  adopt(call: CallRecord): void {
    this.#calls.set(call.callId, { ...call });
  }

  /** Changes memory only: what the AsyncStore already holds (a start made there). */
  patchInMemory(callId: string, patch: CallPatch): void {
    const call = this.#calls.get(callId);
    if (call) this.#calls.set(callId, { ...call, ...patch });
  }

  /** Forgets a call once its writes have landed (waits for them). */
  async release(callId: string): Promise<void> {
    await this.flush(callId);
    this.#calls.delete(callId);
  }

  /** The account's data the call path reads, fetched unless fresh. */
  async prefetch(accountId: number): Promise<void> {
    const cached = this.#accounts.get(accountId);
    if (cached && this.#o.clock.now() - cached.at < (this.#o.freshMs ?? 5000)) return;
    const s = this.#o.store;
    const [account, amd, files, templates, models] = await Promise.all([
      s.accounts.findById(accountId),
      s.amdSettings.get(accountId),
      s.voiceFiles.listByAccount(accountId),
      s.ttsTemplates.listByAccount(accountId),
      s.asrModels.listByAccount(accountId),
    ]);
    this.#accounts.set(accountId, {
      account,
      amd,
      voiceFiles: new Map(files.map((f) => [f.id, f])),
      ttsTemplates: new Map(templates.map((t) => [t.id, t])),
      asrModels: new Map(models.map((m) => [m.id, m])),
      at: this.#o.clock.now(),
    });
  }

  /** The trunks, fetched now (the dialer and the trunk dial read them from memory). */
  async refreshTrunks(): Promise<TrunkRecord[]> {
    this.#trunks = await this.#o.store.trunks.list();
    return this.#trunks;
  }

  /** Resolves when every write of the call made so far has landed. */
  async flush(callId: string): Promise<void> {
    for (;;) {
      const lane = this.#lanes.get(callId);
      if (!lane?.running) return;
      await lane.running;
    }
  }

  /** Resolves when every write made so far has landed. */
  async flushAll(): Promise<void> {
    while (this.#lanes.size > 0) await Promise.all([...this.#lanes.keys()].map((id) => this.flush(id)));
  }

  /** Calls with writes not landed yet. */
  get pending(): number {
    return this.#lanes.size;
  }

  #enqueue(callId: string, writes: Write[], receipts: boolean): void {
    if (this.#batch) {
      const list = this.#batch.writes.get(callId) ?? [];
      list.push(...writes);
      this.#batch.writes.set(callId, list);
      if (receipts) this.#batch.receipts.add(callId);
      return;
    }
    let lane = this.#lanes.get(callId);
    if (!lane) {
      lane = { batches: [], running: undefined };
      this.#lanes.set(callId, lane);
    }
    lane.batches.push({ writes, receipts });
    if (!lane.running) {
      const l = lane;
      l.running = this.#drainLane(callId, l).finally(() => {
        l.running = undefined;
        if (l.batches.length === 0 && this.#lanes.get(callId) === l) this.#lanes.delete(callId);
      });
    }
  }

  async #drainLane(callId: string, lane: Lane): Promise<void> {
    while (lane.batches.length > 0) {
      const batch = lane.batches[0]!;
      for (let attempt = 0; ; attempt++) {
        try {
          await this.#o.store.transaction(async (tx) => {
            for (const write of batch.writes) await write(tx);
          });
          break;
        } catch (err) {
          this.failedWrites++;
          const waitMs = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!;
          this.#o.log.error(
            { err, callId, attempt: attempt + 1, retryInMs: waitMs },
            'a write of the call did not reach the store: trying again',
          );
          await sleep(waitMs, this.#o.clock);
        }
      }
      lane.batches.shift();
      if (batch.receipts) this.#o.onReceipts?.();
    }
  }

  #transaction<T>(fn: () => T): T {
    if (this.#batch) return fn();
    const batch = {
      writes: new Map<string, Write[]>(),
      undo: [] as (() => void)[],
      receipts: new Set<string>(),
    };
    this.#batch = batch;
    let result: T;
    try {
      result = fn();
    } catch (err) {
      for (const undo of batch.undo.reverse()) undo();
      throw err;
    } finally {
      this.#batch = undefined;
    }
    for (const [callId, writes] of batch.writes) this.#enqueue(callId, writes, batch.receipts.has(callId));
    return result;
  }

  #data(accountId: number): AccountData | undefined {
    return this.#accounts.get(accountId);
  }

  #surface(): Store {
    const calls = {
      find: (callId: string) => {
        const call = this.#calls.get(callId);
        return call && { ...call };
      },
      update: (callId: string, patch: CallPatch) => {
        const call = this.#calls.get(callId);
        if (!call) return false;
        this.#calls.set(callId, { ...call, ...patch });
        this.#batch?.undo.push(() => this.#calls.set(callId, call));
        this.#enqueue(callId, [(tx) => tx.calls.update(callId, patch)], false);
        return true;
      },
      listByState: (states: readonly CallState[], limit = 1000) =>
        [...this.#calls.values()].filter((c) => states.includes(c.state)).slice(0, limit),
    };
    const repositories: Record<string, Record<string, unknown>> = {
      calls,
      accounts: { findById: (id: number) => this.#data(id)?.account },
      amdSettings: { get: (accountId: number) => this.#data(accountId)?.amd },
      voiceFiles: {
        find: (accountId: number, id: string) => this.#data(accountId)?.voiceFiles.get(id),
      },
      ttsTemplates: {
        find: (accountId: number, id: string) => this.#data(accountId)?.ttsTemplates.get(id),
      },
      asrModels: {
        find: (accountId: number, id: string) => this.#data(accountId)?.asrModels.get(id),
      },
      trunks: {
        list: () => [...this.#trunks],
        find: (name: string) => this.#trunks.find((t) => t.name === name),
        findDefault: () => this.#trunks.find((t) => t.isDefault),
      },
      receipts: {
        append: (record: Omit<ReceiptRecord, 'id' | 'state' | 'attempts' | 'lastError' | 'deliveredAt'>) => {
          this.#enqueue(record.callId, [(tx) => tx.receipts.append(record)], true);
          return true;
        },
      },
      callbackExchanges: {
        insert: (record: CallbackExchangeRecord) => {
          this.#enqueue(record.callId, [(tx) => tx.callbackExchanges.insert(record)], false);
        },
      },
      callEvents: {
        append: (records: readonly CallEventRecord[]) => {
          const byCall = new Map<string, CallEventRecord[]>();
          for (const r of records) byCall.set(r.callId, [...(byCall.get(r.callId) ?? []), r]);
          for (const [callId, list] of byCall)
            this.#enqueue(callId, [(tx) => tx.callEvents.append(list)], false);
        },
        // The console is not served on a media node.
        listByCall: () => [],
        removeBefore: () => 0,
      },
    };
    const unserved = (repo: string, method: string) => () => {
      throw new Error(`store.${repo}.${method} is not served on a media node`);
    };
    const surface: Record<string, unknown> = {
      transaction: <T>(fn: () => T) => this.#transaction(fn),
      close: () => undefined,
    };
    return new Proxy(surface, {
      get: (target, key) => {
        if (typeof key !== 'string') return undefined;
        if (key in target) return target[key];
        const repo = repositories[key] ?? {};
        return new Proxy(repo, {
          get: (r, method) =>
            typeof method === 'string' && method in r ? r[method] : unserved(key, String(method)),
        });
      },
    }) as unknown as Store;
  }
}

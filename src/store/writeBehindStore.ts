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
 *   receipts) as one transaction there. A write that fails for a passing cause (connection lost,
 *   serialization failure, server short of resources or restarting: SQLSTATE classes 08, 40, 53,
 *   57P, socket errors) is logged and tried again (backing off up to 5 s) until it lands; one that can
 *   never land (bad data, a constraint: 22xxx, 23xxx, anything else) is logged with the write,
 *   counted (`droppedWrites`) and dropped, so the call's later writes are not blocked behind it.
 *   `flush(callId)` resolves once every write of the call so far has landed or was dropped.
 * - Fencing (`node`): a call's writes land only while the call is still this node's (`claimed_by`)
 *   and not ended by someone else (CancelCall, another node's orphan finaliser); receipts only in a
 *   transaction where that check held. A fence that fails rolls the batch back, drops the call's
 *   writes, ignores its later ones and tells `onFenceLost` (the media node hangs the call up).
 * - `close()`: lanes stop; the writes not landed yet are counted and logged.
 *
 * Anything else of the `Store` surface is not served on a media node: it throws, naming the method.
 */
import type { Clock } from '../clock/clock.js';
import { sleep } from '../clock/within.js';
import type { Logger } from '../observability/logger.js';
import type { AsyncRepositories, AsyncStore, CallFence } from './asyncStore.js';
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
  /** Batches not landed yet, in order; each one transaction (`describe`: what it writes, for logs). */
  batches: { writes: Write[]; receipts: boolean; describe: string[] }[];
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
  /** The node whose calls these are: call updates and receipts are fenced to it (see above). */
  node?: string;
  /** A call's fence failed: it is no longer this node's (or was ended elsewhere). */
  onFenceLost?: (callId: string) => void;
}

const RETRY_MS = [100, 250, 500, 1000, 2000, 5000];

/** Socket errors a write may meet while the database is unreachable. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * Whether a failed write may land if tried again: connection exceptions (08), transaction rollbacks
 * such as serialization failures and deadlocks (40), insufficient resources (53), operator
 * intervention such as a server shutting down (57P), socket errors and the pg client's own
 * connection errors. Anything else (22xxx data, 23xxx constraints, a bug) fails the same way again.
 */
export function isTransientWriteError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return /^(08|40|53|57P)/.test(code);
  }
  const message = err instanceof Error ? err.message : String(err);
  return /connection terminated|connection timeout|timeout exceeded when trying to connect|connection error|not queryable|socket/i.test(
    message,
  );
}

class FenceMiss extends Error {}

const TERMINAL = new Set(['ended', 'failed']);

export class WriteBehindStore {
  readonly #o: WriteBehindOptions;
  readonly #calls = new Map<string, CallRecord>();
  readonly #accounts = new Map<number, AccountData>();
  readonly #lanes = new Map<string, Lane>();
  #trunks: TrunkRecord[] = [];
  /** The engine's open `transaction`: its writes, and how to undo its changes to memory. */
  #batch:
    | {
        writes: Map<string, Write[]>;
        describe: Map<string, string[]>;
        undo: (() => void)[];
        receipts: Set<string>;
      }
    | undefined;
  /** Writes that failed at least once (the metric a test and an operator look at). */
  failedWrites = 0;
  /** Writes dropped because they could never land (data or constraint errors). */
  droppedWrites = 0;
  /** Calls whose fence failed (their writes were dropped). */
  fenceMisses = 0;
  /** Calls this node wrote a terminal state for (its later writes may follow it). */
  readonly #wroteTerminal = new Set<string>();
  /** Calls whose fence failed: their later writes are ignored until released. */
  readonly #fenced = new Set<string>();
  #closed = false;
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
    try {
      await this.flush(callId);
    } finally {
      this.#calls.delete(callId);
      this.#wroteTerminal.delete(callId);
      this.#fenced.delete(callId);
    }
  }

  /** Stops the lanes (after the attempt in flight); the calls with writes not landed are logged. */
  close(): { unwritten: number } {
    this.#closed = true;
    const unwritten = [...this.#lanes.values()].filter((l) => l.batches.length > 0).length;
    if (unwritten > 0)
      this.#o.log.warn(
        { calls: unwritten },
        'the store closes: these calls still had writes that did not land',
      );
    return { unwritten };
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

  #enqueue(callId: string, writes: Write[], receipts: boolean, describe: string): void {
    if (this.#batch) {
      const list = this.#batch.writes.get(callId) ?? [];
      list.push(...writes);
      this.#batch.writes.set(callId, list);
      this.#batch.describe.set(callId, [...(this.#batch.describe.get(callId) ?? []), describe]);
      if (receipts) this.#batch.receipts.add(callId);
      return;
    }
    this.#enqueueBatch(callId, writes, receipts, [describe]);
  }

  #enqueueBatch(callId: string, writes: Write[], receipts: boolean, describe: string[]): void {
    if (this.#closed || this.#fenced.has(callId)) return;
    const node = this.#o.node;
    // Receipts go out only in a transaction where this node's fence held.
    if (node !== undefined && receipts)
      writes = [(tx) => this.#fencedUpdate(tx, callId, {}, this.#wroteTerminal.has(callId)), ...writes];
    let lane = this.#lanes.get(callId);
    if (!lane) {
      lane = { batches: [], running: undefined };
      this.#lanes.set(callId, lane);
    }
    lane.batches.push({ writes, receipts, describe });
    if (!lane.running) {
      const l = lane;
      l.running = this.#drainLane(callId, l).finally(() => {
        l.running = undefined;
        if (l.batches.length === 0 && this.#lanes.get(callId) === l) this.#lanes.delete(callId);
      });
    }
  }

  async #fencedUpdate(
    tx: AsyncRepositories,
    callId: string,
    patch: CallPatch,
    terminalOk: boolean,
  ): Promise<void> {
    const fence: CallFence = { node: this.#o.node!, terminalOk };
    if (!tx.calls.updateFenced) throw new Error('this store cannot fence call writes');
    if (!(await tx.calls.updateFenced(callId, patch, fence))) throw new FenceMiss();
  }

  async #drainLane(callId: string, lane: Lane): Promise<void> {
    while (lane.batches.length > 0 && !this.#closed) {
      const batch = lane.batches[0]!;
      let landed = false;
      for (let attempt = 0; !this.#closed; attempt++) {
        try {
          await this.#o.store.transaction(async (tx) => {
            for (const write of batch.writes) await write(tx);
          });
          landed = true;
          break;
        } catch (err) {
          if (err instanceof FenceMiss) {
            this.fenceMisses++;
            this.#fenced.add(callId);
            this.#o.log.warn(
              { callId, node: this.#o.node, dropped: lane.batches.length, writes: batch.describe },
              'the call is no longer this node’s (its lease was lost, or it was ended elsewhere): its writes are dropped and it is hung up',
            );
            lane.batches.length = 0;
            this.#o.onFenceLost?.(callId);
            return;
          }
          this.failedWrites++;
          if (!isTransientWriteError(err)) {
            this.droppedWrites++;
            this.#o.log.error(
              { err, code: (err as { code?: unknown }).code, callId, writes: batch.describe },
              'a write of the call can never land: dropped',
            );
            break;
          }
          const waitMs = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!;
          this.#o.log.error(
            { err, callId, attempt: attempt + 1, retryInMs: waitMs },
            'a write of the call did not reach the store: trying again',
          );
          await sleep(waitMs, this.#o.clock);
        }
      }
      if (this.#closed && !landed) return;
      lane.batches.shift();
      if (landed && batch.receipts) this.#o.onReceipts?.();
    }
  }

  #transaction<T>(fn: () => T): T {
    if (this.#batch) return fn();
    const batch = {
      writes: new Map<string, Write[]>(),
      describe: new Map<string, string[]>(),
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
    for (const [callId, writes] of batch.writes)
      this.#enqueueBatch(callId, writes, batch.receipts.has(callId), batch.describe.get(callId) ?? []);
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
        const describe = `calls.update ${Object.keys(patch).join(',')}`;
        if (this.#o.node === undefined) {
          this.#enqueue(callId, [(tx) => tx.calls.update(callId, patch)], false, describe);
          return true;
        }
        // A write after this node's own terminal state may follow it; any other may not.
        const terminalOk = this.#wroteTerminal.has(callId);
        if (patch.state !== undefined && TERMINAL.has(patch.state)) this.#wroteTerminal.add(callId);
        this.#enqueue(callId, [(tx) => this.#fencedUpdate(tx, callId, patch, terminalOk)], false, describe);
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
          this.#enqueue(
            record.callId,
            [(tx) => tx.receipts.append(record)],
            true,
            `receipts.append ${record.type}`,
          );
          return true;
        },
      },
      callbackExchanges: {
        insert: (record: CallbackExchangeRecord) => {
          this.#enqueue(
            record.callId,
            [(tx) => tx.callbackExchanges.insert(record)],
            false,
            'callbackExchanges.insert',
          );
        },
      },
      callEvents: {
        append: (records: readonly CallEventRecord[]) => {
          const byCall = new Map<string, CallEventRecord[]>();
          for (const r of records) byCall.set(r.callId, [...(byCall.get(r.callId) ?? []), r]);
          for (const [callId, list] of byCall)
            this.#enqueue(callId, [(tx) => tx.callEvents.append(list)], false, 'callEvents.append');
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

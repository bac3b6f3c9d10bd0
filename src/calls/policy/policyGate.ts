/**
 * The policy gate: one decision for every call before it is placed — single SmartCalls at submit
 * (refused, or accepted and held until their window opens) and campaign calls when their row is due
 * (skipped, deferred, or let through with a display number). Layers: the operator's policy and
 * do-not-call list (account 0), the account's, and the campaign's own; a call must pass all of them.
 *
 * Everything a decision reads is in memory: policies and lists are reloaded when their version in
 * the store moves (the CLI changes them from another process), attempt histories are rebuilt from
 * the last day's calls at start. Decisions take the injected clock's time, so tests run windows on
 * a ManualClock.
 */
import type { Clock } from '../../clock/clock.js';
import type { Logger } from '../../observability/logger.js';
import { type CallRecord, GLOBAL_POLICY_ACCOUNT } from '../../store/records.js';
import type { Store } from '../../store/repositories.js';
import { CallerIdPools, type PoolEntry, poolEntries } from './callerIdPool.js';
import { type CallingPolicy, type CallingPolicyInput, type Caps, parsePolicy } from './callingPolicy.js';
import { localLabel, nextOpen, ZoneOffsets, zoneOfNumber } from './callingWindow.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** How often the store's policy version is looked at, in decisions and in ms of the gate's clock. */
const VERSION_CHECK_DECISIONS = 256;
const VERSION_CHECK_MS = 1000;

export type GateDecision =
  | { verdict: 'go'; showNumber?: string; notes: string[] }
  | { verdict: 'wait'; until: number; reason: string; notes: string[] }
  | { verdict: 'refuse'; code: 'dnc' | 'cap'; reason: string };

export interface GateRequest {
  accountId: number;
  callee: string;
  /** Single SmartCalls are refused over a cap; campaign calls wait. */
  kind: 'single' | 'campaign';
  /** The campaign's own layer (its window, caps, pool). */
  campaign?: CallingPolicy | undefined;
  /** Names the campaign's pool for its round robin. */
  campaignKey?: string;
}

export interface PolicyGateOptions {
  store: Store;
  clock: Clock;
  log: Logger;
}

interface Layer {
  name: string;
  policy: CallingPolicy;
}

export class PolicyGate {
  readonly #o: PolicyGateOptions;
  readonly #offsets = new ZoneOffsets();
  readonly #pools = new CallerIdPools();
  readonly #policies = new Map<number, CallingPolicy | null>();
  readonly #dnc = new Map<number, Set<string>>();
  /** Attempt times (ascending) per `account|callee`, and per callee across accounts. */
  readonly #byAccount = new Map<string, number[]>();
  readonly #byCallee = new Map<string, number[]>();
  readonly #entries = new Map<CallingPolicy, PoolEntry[]>();
  #version = -1;
  #sinceCheck = 0;
  #checkedAt = Number.NEGATIVE_INFINITY;
  decisions = 0;

  constructor(options: PolicyGateOptions) {
    this.#o = options;
  }

  /** Loads lists and policies and the last day's attempts (display numbers stay sticky). */
  start(): void {
    this.#reload();
    const since = this.#o.clock.now() - DAY_MS;
    let after: { createdAt: number; callId: string } | undefined;
    const calls: CallRecord[] = [];
    for (;;) {
      const page = this.#o.store.calls.page({ from: since }, after, 1000);
      calls.push(...page);
      if (page.length < 1000) break;
      const last = page[page.length - 1]!;
      after = { createdAt: last.createdAt, callId: last.callId };
    }
    for (const call of calls.reverse()) {
      this.noteAttempt(call.accountId, call.calledNumber, call.createdAt);
      this.#pools.remember(`${call.accountId}|${call.calledNumber}`, call.calledShowNumber);
    }
  }

  /** The gate's time (its clock may be a test's ManualClock). */
  now(): number {
    return this.#o.clock.now();
  }

  /** Rereads policies and lists now (else within a second or 256 decisions of a change). */
  refresh(): void {
    this.#reload();
  }

  /** The account's policy (undefined: none set); account 0 is the operator's. */
  policy(accountId: number): CallingPolicy | undefined {
    let p = this.#policies.get(accountId);
    if (p === undefined) {
      const json = this.#o.store.policies.get(accountId);
      p = null;
      if (json !== undefined) {
        try {
          p = parsePolicy(JSON.parse(json) as CallingPolicyInput);
        } catch (err) {
          this.#o.log.error(
            { accountId, err: (err as Error).message },
            'stored calling policy is invalid: ignored',
          );
        }
      }
      this.#policies.set(accountId, p);
    }
    return p ?? undefined;
  }

  isBlocked(accountId: number, callee: string): 'account' | 'global' | undefined {
    this.#maybeReload();
    if (this.#dnc.get(accountId)?.has(callee)) return 'account';
    if (this.#dnc.get(GLOBAL_POLICY_ACCOUNT)?.has(callee)) return 'global';
    return undefined;
  }

  /** The decision for one call now. Does not count an attempt: {@link noteAttempt} does. */
  decide(req: GateRequest): GateDecision {
    this.decisions++;
    this.#maybeReload();
    const now = this.#o.clock.now();
    const blocked = this.isBlocked(req.accountId, req.callee);
    if (blocked) {
      return {
        verdict: 'refuse',
        code: 'dnc',
        reason: `on the ${blocked === 'global' ? "operator's" : "account's"} do-not-call list`,
      };
    }
    const layers = this.#layers(req.accountId, req.campaign);
    // Caps: a single call over one is refused; a campaign call waits until the cap frees.
    let at = now;
    let reason = '';
    for (const layer of layers) {
      const history =
        layer.name === 'operator'
          ? this.#byCallee.get(req.callee)
          : this.#byAccount.get(`${req.accountId}|${req.callee}`);
      const free = capFreeAt(layer.policy.caps, history, at);
      if (free.at > at) {
        if (req.kind === 'single') {
          return { verdict: 'refuse', code: 'cap', reason: `${layer.name} cap: ${free.why}` };
        }
        at = free.at;
        reason = `${layer.name} cap: ${free.why}`;
      }
    }
    // Windows in the callee's zone, every layer's at once.
    const window = this.#windowOpen(layers, req.callee, at);
    if (window.at === undefined) {
      return {
        verdict: 'wait',
        until: at + DAY_MS,
        reason: `${window.why}: no opening within 60 days`,
        notes: [],
      };
    }
    if (window.at > at) {
      at = window.at;
      reason = reason ? `${reason}; ${window.why}` : window.why;
    }
    const notes: string[] = [];
    let showNumber: string | undefined;
    const pool =
      req.kind === 'single'
        ? undefined
        : req.campaign?.callerIds
          ? req.campaign
          : layers.findLast((l) => l.policy.callerIds)?.policy;
    if (pool?.callerIds) {
      let entries = this.#entries.get(pool);
      if (!entries) {
        entries = poolEntries(pool.callerIds.numbers, pool.callerIds.regions);
        this.#entries.set(pool, entries);
      }
      const chosen = this.#pools.choose(
        `${req.accountId}|${req.callee}`,
        req.callee,
        req.campaignKey ?? `account ${req.accountId}`,
        entries,
        pool.callerIds.strategy,
        pool.callerIds.regions,
      );
      showNumber = chosen.number;
      notes.push(`caller id ${chosen.number} (${chosen.how})`);
    }
    if (at > now) {
      return {
        verdict: 'wait',
        until: at,
        reason: `${reason}: waits until ${localLabel(zoneOfNumber(req.callee, this.#zones(layers)), at, this.#offsets)}`,
        notes,
      };
    }
    return showNumber === undefined ? { verdict: 'go', notes } : { verdict: 'go', showNumber, notes };
  }

  /**
   * When a call accepted earlier may be dialled: undefined now, else the instant its window opens
   * and why (the dialer holds it until then). Only windows: caps were counted at admission.
   */
  holdUntil(
    accountId: number,
    callee: string,
    campaign?: CallingPolicy,
  ): { until: number; reason: string } | undefined {
    const now = this.#o.clock.now();
    const layers = this.#layers(accountId, campaign);
    const window = this.#windowOpen(layers, callee, now);
    if (window.at === undefined)
      return { until: now + DAY_MS, reason: `${window.why}: no opening within 60 days` };
    if (window.at <= now) return undefined;
    const zone = zoneOfNumber(callee, this.#zones(layers));
    return {
      until: window.at,
      reason: `${window.why}: waits until ${localLabel(zone, window.at, this.#offsets)}`,
    };
  }

  /** Counts an attempt to `callee` at `at` (a call admitted or started). */
  noteAttempt(accountId: number, callee: string, at: number): void {
    push(this.#byAccount, `${accountId}|${callee}`, at);
    push(this.#byCallee, callee, at);
  }

  /**
   * After a call: the callee opted out by pressing the account's key, or the callback reply said
   * `opt_out`. Puts the number on the account's list; returns why, or undefined.
   */
  afterCall(call: CallRecord): string | undefined {
    const policy = this.policy(call.accountId);
    let why: string | undefined;
    if (policy?.optOutKey !== undefined && call.dtmf?.includes(policy.optOutKey))
      why = `opt-out key ${policy.optOutKey}`;
    if (!why && (policy?.optOutCallback ?? true)) {
      for (const exchange of this.#o.store.callbackExchanges.listByCall(call.callId)) {
        if (exchange.reply && repliesOptOut(exchange.reply)) {
          why = 'opt-out callback';
          break;
        }
      }
    }
    if (!why) return undefined;
    const now = this.#o.clock.now();
    this.#o.store.policies.addDnc(call.accountId, [call.calledNumber], why, now);
    this.#o.store.policies.addDecision({
      callId: call.callId,
      at: now,
      decision: 'opt-out',
      detail: `${why}: number added to the do-not-call list`,
    });
    let set = this.#dnc.get(call.accountId);
    if (!set) {
      set = new Set();
      this.#dnc.set(call.accountId, set);
    }
    set.add(call.calledNumber);
    this.#o.log.info({ callId: call.callId, why }, 'callee opted out');
    return why;
  }

  #layers(accountId: number, campaign: CallingPolicy | undefined): Layer[] {
    const layers: Layer[] = [];
    const operator = this.policy(GLOBAL_POLICY_ACCOUNT);
    if (operator) layers.push({ name: 'operator', policy: operator });
    const account = accountId === GLOBAL_POLICY_ACCOUNT ? undefined : this.policy(accountId);
    if (account) layers.push({ name: 'account', policy: account });
    if (campaign) layers.push({ name: 'campaign', policy: campaign });
    return layers;
  }

  #zones(layers: readonly Layer[]): Record<string, string> | undefined {
    let zones: Record<string, string> | undefined;
    for (const l of layers) if (l.policy.timeZones) zones = { ...zones, ...l.policy.timeZones };
    return zones;
  }

  /** The first instant ≥ t at which every layer's window is open. */
  #windowOpen(layers: readonly Layer[], callee: string, t: number): { at: number | undefined; why: string } {
    let at = t;
    let why = '';
    const withWindows = layers.filter((l) => l.policy.window);
    if (withWindows.length === 0) return { at, why };
    const zone = zoneOfNumber(callee, this.#zones(layers));
    for (let round = 0; round < 16; round++) {
      let moved = false;
      for (const layer of withWindows) {
        const open = nextOpen(layer.policy.window!, zone, at, this.#offsets);
        if (open === undefined) return { at: undefined, why: `outside the ${layer.name} calling window` };
        if (open > at) {
          at = open;
          why = `outside the ${layer.name} calling window (${layer.policy.input.window ?? 'holiday'})`;
          moved = true;
        }
      }
      if (!moved) return { at, why };
    }
    return { at: undefined, why: 'calling windows never overlap' };
  }

  #maybeReload(): void {
    const now = this.#o.clock.now();
    if (++this.#sinceCheck < VERSION_CHECK_DECISIONS && now - this.#checkedAt < VERSION_CHECK_MS) return;
    this.#sinceCheck = 0;
    this.#checkedAt = now;
    if (this.#o.store.policies.version() !== this.#version) this.#reload();
  }

  #reload(): void {
    this.#version = this.#o.store.policies.version();
    this.#policies.clear();
    this.#entries.clear();
    this.#dnc.clear();
    for (const r of this.#o.store.policies.listDnc()) {
      let set = this.#dnc.get(r.accountId);
      if (!set) {
        set = new Set();
        this.#dnc.set(r.accountId, set);
      }
      set.add(r.number);
    }
  }
}

function push(map: Map<string, number[]>, key: string, at: number): void {
  let list = map.get(key);
  if (!list) {
    list = [];
    map.set(key, list);
  }
  // Forget what no cap looks at any more (a day).
  let drop = 0;
  while (drop < list.length && list[drop]! <= at - DAY_MS) drop++;
  if (drop > 0) list.splice(0, drop);
  let i = list.length;
  while (i > 0 && list[i - 1]! > at) i--;
  list.splice(i, 0, at);
}

/** When the caps allow another attempt, at `t` or later (attempts in `history`, ascending). */
function capFreeAt(
  caps: Caps,
  history: readonly number[] | undefined,
  t: number,
): { at: number; why: string } {
  if (!history || history.length === 0) return { at: t, why: '' };
  let at = t;
  let why = '';
  const limits: [number | undefined, number, string][] = [
    [caps.perMinute, MINUTE_MS, 'minute'],
    [caps.perHour, HOUR_MS, 'hour'],
    [caps.perDay, DAY_MS, 'day'],
  ];
  for (const [max, span, name] of limits) {
    if (max === undefined) continue;
    let inside = 0;
    for (let i = history.length - 1; i >= 0 && history[i]! > at - span; i--) inside++;
    if (inside >= max) {
      // The oldest of the last `max` attempts must leave the span.
      const free = history[history.length - max]! + span;
      if (free > at) {
        at = free;
        why = `${max} call${max > 1 ? 's' : ''} per ${name} to this number`;
      }
    }
  }
  if (caps.minGapMs !== undefined) {
    const free = history[history.length - 1]! + caps.minGapMs;
    if (free > at) {
      at = free;
      why = `at least ${Math.round(caps.minGapMs / 1000)} s between calls to this number`;
    }
  }
  return { at, why };
}

function repliesOptOut(reply: string): boolean {
  try {
    const body = JSON.parse(reply) as Record<string, unknown>;
    const flag = body.opt_out ?? body.optOut;
    return flag === true || flag === 'true' || flag === 1;
  } catch {
    return false;
  }
}

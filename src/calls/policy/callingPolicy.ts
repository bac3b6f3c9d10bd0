/**
 * A calling policy: what the operator (account 0) and each account allow — calling windows in the
 * callee's zone, per-callee caps, retries by outcome, a caller-ID pool, an opt-out key. Stored as the
 * JSON of {@link CallingPolicyInput}; {@link parsePolicy} checks it once and every decision uses the
 * parsed form. Campaigns carry the same shape for their own layer.
 */
import { type CallingWindow, isTimeZone, parseHolidays, parseWindow, WindowError } from './callingWindow.js';

export class PolicyError extends Error {}

/** How a call attempt ended, as the retry rules name it. */
export const CALL_OUTCOMES = [
  'answered',
  'busy',
  'no-answer',
  'powered-off',
  'declined',
  'vacant',
  'failed',
] as const;
export type CallOutcomeClass = (typeof CALL_OUTCOMES)[number];
/** The outcomes a retry may follow (never a decline or a vacant number). */
export const RETRY_OUTCOMES = ['busy', 'no-answer', 'powered-off'] as const;
export type RetryOutcome = (typeof RETRY_OUTCOMES)[number];

export interface RetryRule {
  outcomes: readonly RetryOutcome[];
  /** The wait before each retry, in order: its length is the number of retries. */
  delaysMs: readonly number[];
}

export interface CallerIdPoolInput {
  numbers: string[];
  /** `region` (a number of the callee's area, else round robin) or `round-robin` (default). */
  strategy?: 'region' | 'round-robin';
  /** Number prefixes of mobiles → area code (`"1380571": "0571"`); landlines carry their own. */
  regions?: Record<string, string>;
}

/** The stored form (JSON). Every field is optional; an empty object allows everything. */
export interface CallingPolicyInput {
  /** `09:00-20:00`, `mon-fri 09:00-20:00; sat 10:00-16:00` (callee's local time). */
  window?: string;
  /** Local dates without calls, `YYYY-MM-DD`. */
  holidays?: string[];
  /** Country code → IANA zone, overriding the built-in choice (`{"1": "America/Los_Angeles"}`). */
  timeZones?: Record<string, string>;
  /** Attempts to one callee at most per minute / hour / day (rolling), and the least gap between two. */
  caps?: { perMinute?: number; perHour?: number; perDay?: number; minGap?: string };
  /** `busy,no-answer:3x30m; powered-off:10m/1h` (campaign calls). */
  retry?: string;
  callerIds?: CallerIdPoolInput;
  /** A key the callee presses to be put on the do-not-call list; `callback: false` ignores `opt_out` replies. */
  optOut?: { key?: string; callback?: boolean };
}

export interface Caps {
  perMinute?: number;
  perHour?: number;
  perDay?: number;
  minGapMs?: number;
}

export interface CallingPolicy {
  window: CallingWindow | undefined;
  timeZones: Readonly<Record<string, string>> | undefined;
  caps: Caps;
  retry: readonly RetryRule[];
  callerIds:
    | { numbers: readonly string[]; strategy: 'region' | 'round-robin'; regions: Record<string, string> }
    | undefined;
  optOutKey: string | undefined;
  optOutCallback: boolean;
  input: CallingPolicyInput;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `45s`, `30m`, `2h`, `1d`. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new PolicyError(`${what}: "${text}" is not a duration like 30s, 10m, 2h or 1d`);
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

/**
 * `busy,no-answer:3x30m` — up to 3 retries 30 minutes apart after busy or no answer;
 * `powered-off:10m/1h/4h` — three retries after those waits; groups separated by `;`.
 */
export function parseRetry(spec: string): RetryRule[] {
  const rules: RetryRule[] = [];
  for (const group of spec
    .split(';')
    .map((g) => g.trim())
    .filter((g) => g !== '')) {
    const colon = group.indexOf(':');
    if (colon < 0)
      throw new PolicyError(`retry "${group}": expected outcomes:schedule, e.g. busy,no-answer:3x30m`);
    const outcomes = group
      .slice(0, colon)
      .split(',')
      .map((o) => o.trim().toLowerCase());
    for (const o of outcomes) {
      if (o === 'declined' || o === 'vacant') {
        throw new PolicyError(
          `retry: a ${o} number is never called again (retry busy, no-answer or powered-off)`,
        );
      }
      if (!(RETRY_OUTCOMES as readonly string[]).includes(o)) {
        throw new PolicyError(`retry: "${o}" is not one of ${RETRY_OUTCOMES.join(', ')}`);
      }
    }
    const schedule = group.slice(colon + 1).trim();
    let delaysMs: number[];
    const times = /^(\d+)x(.+)$/.exec(schedule);
    if (times) {
      const n = Number(times[1]);
      if (n < 1 || n > 20) throw new PolicyError(`retry "${group}": between 1 and 20 retries`);
      delaysMs = Array.from({ length: n }, () => parseDuration(times[2]!, 'retry interval'));
    } else {
      delaysMs = schedule.split('/').map((d) => parseDuration(d, 'retry wait'));
    }
    rules.push({ outcomes: outcomes as RetryOutcome[], delaysMs });
  }
  return rules;
}

function count(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new PolicyError(`${what} must be a whole number of at least 1`);
  }
  return value;
}

/** Checks a policy (from the store, the CLI or a campaign); throws PolicyError naming the problem. */
export function parsePolicy(input: CallingPolicyInput): CallingPolicy {
  try {
    const window =
      input.window !== undefined || input.holidays !== undefined
        ? {
            week: parseWindow(input.window ?? '00:00-24:00'),
            holidays: parseHolidays(input.holidays ?? []),
          }
        : undefined;
    for (const [cc, zone] of Object.entries(input.timeZones ?? {})) {
      if (!/^\d{1,4}$/.test(cc)) throw new PolicyError(`timeZones: "${cc}" is not a country calling code`);
      if (!isTimeZone(zone)) throw new PolicyError(`timeZones: "${zone}" is not a time zone`);
    }
    const caps: Caps = {};
    const c = input.caps ?? {};
    const perMinute = count(c.perMinute, 'caps.perMinute');
    const perHour = count(c.perHour, 'caps.perHour');
    const perDay = count(c.perDay, 'caps.perDay');
    if (perMinute !== undefined) caps.perMinute = perMinute;
    if (perHour !== undefined) caps.perHour = perHour;
    if (perDay !== undefined) caps.perDay = perDay;
    if (c.minGap !== undefined) caps.minGapMs = parseDuration(c.minGap, 'caps.minGap');
    let callerIds: CallingPolicy['callerIds'];
    if (input.callerIds) {
      const numbers = input.callerIds.numbers ?? [];
      if (!Array.isArray(numbers) || numbers.length === 0)
        throw new PolicyError('callerIds.numbers must list at least one number');
      const strategy = input.callerIds.strategy ?? 'round-robin';
      if (strategy !== 'region' && strategy !== 'round-robin') {
        throw new PolicyError(`callerIds.strategy must be region or round-robin, not "${strategy}"`);
      }
      callerIds = { numbers, strategy, regions: input.callerIds.regions ?? {} };
    }
    const key = input.optOut?.key;
    if (key !== undefined && !/^[0-9*#]$/.test(key))
      throw new PolicyError(`optOut.key must be one key (0-9, * or #), not "${key}"`);
    return {
      window,
      timeZones: input.timeZones,
      caps,
      retry: input.retry ? parseRetry(input.retry) : [],
      callerIds,
      optOutKey: key,
      optOutCallback: input.optOut?.callback ?? true,
      input,
    };
  } catch (err) {
    if (err instanceof WindowError) throw new PolicyError(err.message);
    throw err;
  }
}

/** The retry wait after the `attempt`-th attempt ended with `outcome`; undefined: no retry. */
export function retryDelay(
  rules: readonly RetryRule[],
  outcome: CallOutcomeClass,
  attempt: number,
): number | undefined {
  for (const rule of rules) {
    if ((rule.outcomes as readonly string[]).includes(outcome)) return rule.delaysMs[attempt - 1];
  }
  return undefined;
}

/** What a finished call's codes say about how the attempt ended. */
export function classifyOutcome(call: {
  state: string;
  smartStatusCode: string | null;
  statusCode: string | null;
}): CallOutcomeClass {
  if (call.state === 'ended' || call.smartStatusCode === 'ANSWERED') return 'answered';
  switch (call.smartStatusCode) {
    case 'USER_BUSY':
      return 'busy';
    case 'NO_ANSWER':
    case 'CANCEL':
    case 'NO_USER_RESPONDING':
      return 'no-answer';
    case 'POWERED_OFF':
    case 'UNAVAILABLE':
    case 'NETWORK_BUSY':
    case 'SUSPEND':
      return 'powered-off';
    case 'CALL_REJECTED':
      return 'declined';
    case 'INVALID_NUMBER':
      return 'vacant';
    default:
      return 'failed';
  }
}

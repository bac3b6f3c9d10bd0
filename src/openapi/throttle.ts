/**
 * Request throttling (spec §7.2): a token bucket per account (`Throttling.User`) and one per
 * account and action (`Throttling.Api`). Each holds at most one second of its rate and refills
 * continuously. A request passes only if both buckets have a token, and then takes one from each:
 * a request refused by one limit does not use up the other.
 */

/** Per-account limits of each action, requests per second, as documented (spec §3, §6.1, §6.2, §6.3). */
export const DOCUMENTED_API_QPS: Readonly<Record<string, number>> = {
  SmartCall: 1000,
  QueryCallDetailByCallId: 100,
  SmartCallOperate: 100,
  SingleCallByTts: 1000,
  SingleCallByVoice: 1200,
  IvrCall: 100,
};

/**
 * An action's limit for one account: the figure of `limits`, raised in proportion when the account
 * was granted more than the default rate (so an account set to 5000/s may place 5000 SmartCalls a
 * second, not 1000), never lowered (an account set to 2/s still gets whole tokens per action).
 * Undefined when the action has no limit of its own.
 */
export function apiRateFor(
  limits: Readonly<Record<string, number>>,
  action: string,
  accountRate: number,
  defaultRate: number,
): number | undefined {
  if (!Object.hasOwn(limits, action)) return undefined;
  return limits[action]! * Math.max(1, accountRate / defaultRate);
}

interface Bucket {
  tokens: number;
  last: number;
}

export type ThrottleVerdict =
  | { pass: true }
  | { pass: false; limit: 'user' | 'api' /** until one token is back */; retryAfterMs: number };

const PASS: ThrottleVerdict = { pass: true };

function refill(bucket: Bucket | undefined, rate: number, now: number): Bucket {
  if (!bucket) return { tokens: rate, last: now };
  bucket.tokens = Math.min(rate, bucket.tokens + (Math.max(0, now - bucket.last) * rate) / 1000);
  bucket.last = Math.max(bucket.last, now);
  return bucket;
}

const waitForToken = (bucket: Bucket, rate: number) => ((1 - bucket.tokens) * 1000) / rate;

/**
 * Where the buckets live: this process (RequestThrottle) or Redis shared by the API nodes
 * (SharedThrottle, the same token buckets in a Lua script). A shared one may answer later.
 */
export interface RequestLimiter {
  take(
    accountId: number,
    accountRate: number,
    action: string,
    apiRate: number | undefined,
    now: number,
  ): ThrottleVerdict | Promise<ThrottleVerdict>;
}

export class RequestThrottle implements RequestLimiter {
  readonly #accounts = new Map<number, Bucket>();
  /** account id → action → bucket (no key string built per request). */
  readonly #apis = new Map<number, Map<string, Bucket>>();

  /**
   * `accountRate` is the account's requests per second; `apiRate` the action's per-account limit,
   * undefined when the action has none.
   */
  take(
    accountId: number,
    accountRate: number,
    action: string,
    apiRate: number | undefined,
    now: number,
  ): ThrottleVerdict {
    const account = refill(this.#accounts.get(accountId), accountRate, now);
    this.#accounts.set(accountId, account);
    if (account.tokens < 1)
      return { pass: false, limit: 'user', retryAfterMs: waitForToken(account, accountRate) };
    if (apiRate === undefined) {
      account.tokens -= 1;
      return PASS;
    }
    let actions = this.#apis.get(accountId);
    if (!actions) {
      actions = new Map();
      this.#apis.set(accountId, actions);
    }
    const api = refill(actions.get(action), apiRate, now);
    actions.set(action, api);
    if (api.tokens < 1) return { pass: false, limit: 'api', retryAfterMs: waitForToken(api, apiRate) };
    account.tokens -= 1;
    api.tokens -= 1;
    return PASS;
  }
}

/**
 * The throttle's token buckets (throttle.ts, spec §7.2) in Redis, shared by the API nodes: the
 * same buckets with the same arithmetic in one Lua script, so N nodes together let through what
 * one node would (a token bucket per account holding one second of its rate, one per account and
 * action; a request takes a token from both or from neither). Times are the calling node's clock
 * (`last` never goes back, so a node a few ms behind only refills less); an idle bucket expires
 * once it would be full again, so Redis holds only the last second's active accounts.
 *
 * The requests of one turn of the event loop go to Redis together, in one script call that takes
 * them one after the other in arrival order (the same answers as one call each, for a fraction of
 * the cost per request on both sides); while that call is out, the next requests gather for the
 * next one. A request may carry its signature nonce (SharedAdmission): the nonce is recorded first
 * (`SET NX`), and one already there refuses the request without touching the buckets.
 *
 * While Redis is unreachable each node throttles alone with its own buckets (logged): the limits
 * then hold per node, not across nodes. A slow Redis (connected, not answering) must not hold
 * requests up either: up to MAX_IN_FLIGHT calls are out at once (a new one each turn), at most
 * MAX_WAITING requests wait for the next, and once the oldest call has been out longer than SLOW_MS
 * (or the queue is full) requests are answered the same way as in an outage, at once; a call that
 * fails or times out is answered alone too, and after a few in a row Redis counts as down for a
 * short back-off (RedisConnection). The nonces of requests answered alone are handed to `missed`
 * (SharedNonces queues them for Redis, written as soon as it answers again). A Redis restart loses at most the buckets' last second
 * (they start full again).
 */
import type { TimerHandle } from '../clock/clock.js';
import { type RedisConnection, THROTTLE_SCRIPT } from '../cluster/redisConnection.js';
import { type AdmissionVerdict, NONCE_USED } from './admission.js';
import { type RequestLimiter, RequestThrottle, type ThrottleVerdict } from './throttle.js';

/**
 * KEYS: per request its account bucket, action bucket and nonce key ('' for none). ARGV: bucket
 * expiry ms, then per request now (ms), account rate, action rate (0: none), nonce TTL ms.
 * Answers one reply per request: {1}, {0, 'nonce'}, or {0, 'user'|'api', ms until a token is back}.
 */
const TAKE = `
local expiry = tonumber(ARGV[1])
local function refill(key, rate, now)
  local b = redis.call('HMGET', key, 't', 'l')
  if not b[1] then return rate, now end
  local last = tonumber(b[2])
  return math.min(rate, tonumber(b[1]) + math.max(0, now - last) * rate / 1000), math.max(last, now)
end
local function save(key, tokens, last)
  redis.call('HSET', key, 't', string.format('%.17g', tokens), 'l', string.format('%.17g', last))
  redis.call('PEXPIRE', key, expiry)
end
local replies = {}
for i = 1, #KEYS / 3 do
  local accountKey, actionKey, nonceKey = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local a = 4 * i - 2
  local now, userRate, apiRate = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  if nonceKey ~= '' and not redis.call('SET', nonceKey, '1', 'PX', ARGV[a + 3], 'NX') then
    replies[i] = {0, 'nonce'}
  else
    local ut, ul = refill(accountKey, userRate, now)
    if ut < 1 then
      save(accountKey, ut, ul)
      replies[i] = {0, 'user', string.format('%.17g', (1 - ut) * 1000 / userRate)}
    elseif apiRate <= 0 then
      save(accountKey, ut - 1, ul)
      replies[i] = {1}
    else
      local at, al = refill(actionKey, apiRate, now)
      if at < 1 then
        save(accountKey, ut, ul)
        save(actionKey, at, al)
        replies[i] = {0, 'api', string.format('%.17g', (1 - at) * 1000 / apiRate)}
      else
        save(accountKey, ut - 1, ul)
        save(actionKey, at - 1, al)
        replies[i] = {1}
      end
    end
  end
end
return replies
`;

/** A bucket idle for a second is full, the same as absent; the margin covers nodes' clock skew. */
const BUCKET_EXPIRY_MS = 2000;
/** Requests per script call at most (a call holds Redis for its whole run). */
const MAX_BATCH = 256;
/** Script calls out at once at most (one more may go out each turn). */
const MAX_IN_FLIGHT = 4;
/** Requests waiting for a script call at most; more are answered alone. */
export const MAX_WAITING = 1024;
/** Once the oldest call has been out this long, Redis is slow: requests are answered alone. */
export const SLOW_MS = 75;

type TakeReply = [0 | 1, ('user' | 'api' | 'nonce')?, string?];

interface WithTake {
  smartcallThrottleTake(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<TakeReply[]>;
}

const PASS: ThrottleVerdict = { pass: true };

interface Pending {
  nonce: { key: string; ttlMs: number } | undefined;
  accountId: number;
  accountRate: number;
  action: string;
  apiRate: number | undefined;
  now: number;
  resolve: (v: AdmissionVerdict) => void;
}

export interface SharedThrottleOptions {
  /** A request's nonce was answered without Redis (it may not have recorded it). */
  missed?: (key: string, ttlMs: number) => void;
}

export class SharedThrottle implements RequestLimiter {
  readonly #redis: RedisConnection;
  readonly #local = new RequestThrottle();
  readonly #prefix: string;
  readonly #missed: (key: string, ttlMs: number) => void;
  #pending: Pending[] = [];
  #scheduled = false;
  /** The calls out, oldest first: when each was sent. */
  readonly #out = new Set<{ sentAt: number }>();
  /** Requests in the calls out. */
  #outRequests = 0;
  #slowTimer: TimerHandle | undefined;

  constructor(redis: RedisConnection, options: SharedThrottleOptions = {}) {
    this.#redis = redis;
    this.#missed = options.missed ?? (() => {});
    this.#prefix = `${redis.keyPrefix}qps:`;
    // EVALSHA, and EVAL when Redis answers NOSCRIPT (after a restart emptied its script cache).
    redis.client.defineCommand(THROTTLE_SCRIPT, { lua: TAKE });
  }

  take(
    accountId: number,
    accountRate: number,
    action: string,
    apiRate: number | undefined,
    now: number,
  ): ThrottleVerdict | Promise<ThrottleVerdict> {
    return this.takeWithNonce(undefined, accountId, accountRate, action, apiRate, now) as
      | ThrottleVerdict
      | Promise<ThrottleVerdict>;
  }

  /**
   * `take`, after recording `nonce` (when given) in the same script: refused as {limit: 'nonce'}
   * without taking a token when Redis already had it. While Redis is unreachable only the buckets are decided (this
   * node's own; the caller's ReplayGuard has checked the nonce).
   */
  takeWithNonce(
    nonce: Pending['nonce'],
    accountId: number,
    accountRate: number,
    action: string,
    apiRate: number | undefined,
    now: number,
  ): AdmissionVerdict | Promise<AdmissionVerdict> {
    const p: Pending = { nonce, accountId, accountRate, action, apiRate, now, resolve: NO_ONE };
    if (!this.#redis.up || this.#slow()) {
      this.#alone(this.#pending.splice(0));
      return this.#alone1(p);
    }
    if (this.#pending.length >= MAX_WAITING) return this.#alone1(p);
    return new Promise((resolve) => {
      p.resolve = resolve;
      this.#pending.push(p);
      this.#schedule();
    });
  }

  /** Requests waiting for a call, and requests in calls out. */
  get waiting(): number {
    return this.#pending.length + this.#outRequests;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  /** True once the oldest call out has been out longer than SLOW_MS. */
  #slow(): boolean {
    const oldest = this.#out.values().next().value;
    return oldest !== undefined && this.#redis.clock.now() - oldest.sentAt > SLOW_MS;
  }

  /**
   * Sends one batch of what gathered (the next goes out next turn), unless MAX_IN_FLIGHT calls are
   * out (a landing sends it then, or SLOW_MS after the oldest went out it is answered alone).
   */
  #flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    if (!this.#redis.up || this.#slow()) {
      this.#alone(this.#pending.splice(0));
      return;
    }
    if (this.#out.size >= MAX_IN_FLIGHT) {
      this.#armSlowTimer();
      return;
    }
    const batch = this.#pending.splice(0, MAX_BATCH);
    const keys: string[] = [];
    const args: number[] = [BUCKET_EXPIRY_MS];
    for (const p of batch) {
      // `{id}` is a hash tag: both buckets of an account land on one Redis Cluster slot. (A batch
      // also writes other accounts' buckets and nonces' keys: a single Redis, as RedisConnection.)
      const account = `${this.#prefix}{${p.accountId}}`;
      keys.push(account, `${account}:${p.action}`, p.nonce?.key ?? '');
      args.push(p.now, p.accountRate, p.apiRate ?? 0, p.nonce?.ttlMs ?? 0);
    }
    const call = { sentAt: this.#redis.clock.now() };
    this.#out.add(call);
    this.#outRequests += batch.length;
    const client = this.#redis.client as unknown as WithTake;
    client.smartcallThrottleTake(keys.length, ...keys, ...args).then(
      (replies) => {
        this.#landed(call, batch.length);
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(verdict(replies[i]!));
        this.#redis.answered();
        this.#flush();
      },
      (err: unknown) => {
        this.#landed(call, batch.length);
        this.#redis.failed('throttle', err);
        this.#alone(batch);
        this.#flush();
      },
    );
    if (this.#pending.length > 0) this.#schedule();
  }

  #landed(call: { sentAt: number }, size: number): void {
    this.#out.delete(call);
    this.#outRequests -= size;
  }

  /** What waits is answered alone once the oldest call out is slow, if nothing lands before. */
  #armSlowTimer(): void {
    const oldest = this.#out.values().next().value;
    if (this.#slowTimer !== undefined || oldest === undefined) return;
    const clock = this.#redis.clock;
    this.#slowTimer = clock.setTimer(
      () => {
        this.#slowTimer = undefined;
        this.#flush();
      },
      Math.max(0, oldest.sentAt + SLOW_MS - clock.now()) + 1,
    );
  }

  /** Redis unreachable, slow or failing: this node's own buckets decide (its ReplayGuard had the nonce). */
  #alone(batch: readonly Pending[]): void {
    for (const p of batch) p.resolve(this.#alone1(p));
  }

  #alone1(p: Pending): ThrottleVerdict {
    if (p.nonce) this.#missed(p.nonce.key, p.nonce.ttlMs);
    return this.#local.take(p.accountId, p.accountRate, p.action, p.apiRate, p.now);
  }
}

const NO_ONE = (_v: AdmissionVerdict): void => {};

function verdict(reply: TakeReply): AdmissionVerdict {
  if (reply[0] === 1) return PASS;
  if (reply[1] === 'nonce') return NONCE_USED;
  return { pass: false, limit: reply[1]!, retryAfterMs: Number(reply[2]) };
}

/**
 * The throttle's token buckets (throttle.ts, spec §7.2) in Redis, shared by the API nodes: the
 * same buckets with the same arithmetic in one Lua script, so N nodes together let through what
 * one node would (a token bucket per account holding one second of its rate, one per account and
 * action; a request takes a token from both or from neither). Times are the calling node's clock
 * (`last` never goes back, so a node a few ms behind only refills less); an idle bucket expires
 * once it would be full again, so Redis holds only the last second's active accounts.
 *
 * While Redis is unreachable each node throttles alone with its own buckets (logged): the limits
 * then hold per node, not across nodes. A Redis restart loses at most the buckets' last second
 * (they start full again).
 */
import type { RedisConnection } from '../cluster/redisConnection.js';
import { type AdmissionVerdict, NONCE_USED } from './admission.js';
import { type RequestLimiter, RequestThrottle, type ThrottleVerdict } from './throttle.js';

/**
 * KEYS: account bucket, action bucket[, nonce]; ARGV: now (ms), account rate, action rate (0: none),
 * expiry ms[, nonce TTL ms]. With a nonce, it is recorded first (`SET NX`), and a nonce already
 * there answers {0, 'nonce'} without touching the buckets (SharedAdmission).
 */
const TAKE = `
if KEYS[3] and not redis.call('SET', KEYS[3], '1', 'PX', ARGV[5], 'NX') then
  return {0, 'nonce'}
end
local now = tonumber(ARGV[1])
local userRate = tonumber(ARGV[2])
local apiRate = tonumber(ARGV[3])
local expiry = tonumber(ARGV[4])
local function refill(key, rate)
  local b = redis.call('HMGET', key, 't', 'l')
  if not b[1] then return rate, now end
  local last = tonumber(b[2])
  return math.min(rate, tonumber(b[1]) + math.max(0, now - last) * rate / 1000), math.max(last, now)
end
local function save(key, tokens, last)
  redis.call('HSET', key, 't', string.format('%.17g', tokens), 'l', string.format('%.17g', last))
  redis.call('PEXPIRE', key, expiry)
end
local ut, ul = refill(KEYS[1], userRate)
if ut < 1 then
  save(KEYS[1], ut, ul)
  return {0, 'user', string.format('%.17g', (1 - ut) * 1000 / userRate)}
end
if apiRate <= 0 then
  save(KEYS[1], ut - 1, ul)
  return {1}
end
local at, al = refill(KEYS[2], apiRate)
if at < 1 then
  save(KEYS[1], ut, ul)
  save(KEYS[2], at, al)
  return {0, 'api', string.format('%.17g', (1 - at) * 1000 / apiRate)}
end
save(KEYS[1], ut - 1, ul)
save(KEYS[2], at - 1, al)
return {1}
`;

/** A bucket idle for a second is full, the same as absent; the margin covers nodes' clock skew. */
const BUCKET_EXPIRY_MS = 2000;

type TakeReply = [0 | 1, ('user' | 'api' | 'nonce')?, string?];

interface WithTake {
  smartcallThrottleTake(
    accountKey: string,
    actionKey: string,
    now: number,
    accountRate: number,
    apiRate: number,
    expiryMs: number,
  ): Promise<TakeReply>;
  smartcallAdmit(
    accountKey: string,
    actionKey: string,
    nonceKey: string,
    now: number,
    accountRate: number,
    apiRate: number,
    expiryMs: number,
    nonceTtlMs: number,
  ): Promise<TakeReply>;
}

const PASS: ThrottleVerdict = { pass: true };

export class SharedThrottle implements RequestLimiter {
  readonly #redis: RedisConnection;
  readonly #local = new RequestThrottle();
  readonly #prefix: string;

  constructor(redis: RedisConnection) {
    this.#redis = redis;
    this.#prefix = `${redis.keyPrefix}qps:`;
    // EVALSHA, and EVAL when Redis answers NOSCRIPT (after a restart emptied its script cache).
    redis.client.defineCommand('smartcallThrottleTake', { numberOfKeys: 2, lua: TAKE });
    redis.client.defineCommand('smartcallAdmit', { numberOfKeys: 3, lua: TAKE });
  }

  take(
    accountId: number,
    accountRate: number,
    action: string,
    apiRate: number | undefined,
    now: number,
  ): ThrottleVerdict | Promise<ThrottleVerdict> {
    return this.#take(undefined, accountId, accountRate, action, apiRate, now) as
      | ThrottleVerdict
      | Promise<ThrottleVerdict>;
  }

  /**
   * `take`, after recording `nonce` in the same script: refused as {limit: 'nonce'} without taking
   * a token when Redis already had it. While Redis is unreachable only the buckets are decided (this
   * node's own; the caller's ReplayGuard has checked the nonce).
   */
  takeWithNonce(
    nonce: { key: string; ttlMs: number },
    accountId: number,
    accountRate: number,
    action: string,
    apiRate: number | undefined,
    now: number,
  ): AdmissionVerdict | Promise<AdmissionVerdict> {
    return this.#take(nonce, accountId, accountRate, action, apiRate, now);
  }

  #take(
    nonce: { key: string; ttlMs: number } | undefined,
    accountId: number,
    accountRate: number,
    action: string,
    apiRate: number | undefined,
    now: number,
  ): AdmissionVerdict | Promise<AdmissionVerdict> {
    if (!this.#redis.up) return this.#local.take(accountId, accountRate, action, apiRate, now);
    // `{id}` is a hash tag: both buckets of an account land on one Redis Cluster slot. (With a nonce
    // the script also writes the nonce's key, of another slot: a single Redis, as RedisConnection.)
    const account = `${this.#prefix}{${accountId}}`;
    const client = this.#redis.client as unknown as WithTake;
    const reply = nonce
      ? client.smartcallAdmit(
          account,
          `${account}:${action}`,
          nonce.key,
          now,
          accountRate,
          apiRate ?? 0,
          BUCKET_EXPIRY_MS,
          nonce.ttlMs,
        )
      : client.smartcallThrottleTake(
          account,
          `${account}:${action}`,
          now,
          accountRate,
          apiRate ?? 0,
          BUCKET_EXPIRY_MS,
        );
    return reply.then(
      (r): AdmissionVerdict =>
        r[0] === 1
          ? PASS
          : r[1] === 'nonce'
            ? NONCE_USED
            : { pass: false, limit: r[1]!, retryAfterMs: Number(r[2]) },
      (err: unknown) => {
        this.#redis.failed(nonce ? 'nonce and throttle' : 'throttle', err);
        return this.#local.take(accountId, accountRate, action, apiRate, now);
      },
    );
  }
}

/**
 * AccessKey pairs: generation in Alibaba's shape, and the lookup the gateway does on every request,
 * for permanent keys (in the store) and temporary ones (carried by their SecurityToken).
 */

import { randomInt } from 'node:crypto';
import { systemClock } from '../clock/clock.js';
import type { AsyncRepositories } from '../store/asyncStore.js';
import type { AccessKeyStatus, AccountRecord, AccountStatus } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import { TtlCache } from '../store/ttlCache.js';
import type { SecretBox } from './secretBox.js';
import { type StsProblem, StsTokens, TEMPORARY_KEY_PREFIX } from './stsTokens.js';

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomString(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHANUM[randomInt(ALPHANUM.length)];
  return s;
}

/** `LTAI` + 20 characters, like Alibaba's own IDs, and a 30-character secret. */
export function generateAccessKeyPair(): { accessKeyId: string; accessKeySecret: string } {
  return { accessKeyId: 'LTAI' + randomString(20), accessKeySecret: randomString(30) };
}

/** `STS.` + 24 characters and a 30-character secret; they live only inside their SecurityToken. */
export function generateTemporaryKeyPair(): { accessKeyId: string; accessKeySecret: string } {
  return { accessKeyId: TEMPORARY_KEY_PREFIX + randomString(24), accessKeySecret: randomString(30) };
}

export interface Credential {
  accessKeyId: string;
  accountId: number;
  secret: string;
  keyStatus: AccessKeyStatus;
  accountStatus: AccountStatus;
  /** Requests per second allowed for the account; null = configured default. */
  qps: number | null;
}

/**
 * What the gateway's authenticator looks credentials up in: the embedded store answers at once,
 * PostgreSQL (an API node, issue 15) with a Promise.
 */
export interface CredentialSource {
  resolve(accessKeyId: string, now: number): Credential | undefined | Promise<Credential | undefined>;
  resolveTemporary(
    accessKeyId: string,
    token: string | undefined,
    now: number,
  ): Credential | StsProblem | undefined | Promise<Credential | StsProblem | undefined>;
}

/**
 * Resolves an AccessKeyId to its secret and account. Results are kept for `ttlMs` so a burst of
 * requests decrypts once, while a key disabled through the CLI (another process) stops working
 * within that time.
 */
/** What a stored key (its opened secret and status) and its account give the gateway. */
function keyCredential(
  accessKeyId: string,
  secret: string,
  keyStatus: AccessKeyStatus,
  account: AccountRecord,
): Credential {
  return {
    accessKeyId,
    accountId: account.id,
    secret,
    keyStatus,
    accountStatus: account.status,
    qps: account.qps,
  };
}

/** A temporary (STS) key: active while its token is valid, on its account's status and QPS. */
function temporaryCredential(accessKeyId: string, secret: string, account: AccountRecord): Credential {
  return keyCredential(accessKeyId, secret, 'active', account);
}

export class CredentialResolver implements CredentialSource {
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #cache: TtlCache<string, Credential | undefined>;
  readonly #load = (accessKeyId: string) => this.#read(accessKeyId);
  readonly #sts: StsTokens;
  readonly #accounts: TtlCache<number, AccountRecord | undefined>;
  readonly #loadAccount = (id: number) => this.#store.accounts.findById(id);

  constructor(store: Store, box: SecretBox, ttlMs = 2000) {
    this.#store = store;
    this.#box = box;
    this.#cache = new TtlCache(ttlMs);
    this.#sts = new StsTokens(box);
    this.#accounts = new TtlCache(ttlMs);
  }

  /**
   * Temporary credentials: the SecurityToken must be authentic, issued for `accessKeyId` and not
   * expired at `now`; the account it names must still exist (undefined otherwise). Also used for a
   * permanent key that comes with a token, which can then only be a mismatch or malformed.
   */
  resolveTemporary(
    accessKeyId: string,
    token: string | undefined,
    now = systemClock.now(),
  ): Credential | StsProblem | undefined {
    const claims = this.#sts.check(accessKeyId, token, now);
    if (typeof claims === 'string') return claims;
    const account = this.#accounts.get(claims.accountId, this.#loadAccount, now);
    return account && temporaryCredential(accessKeyId, claims.accessKeySecret, account);
  }

  resolve(accessKeyId: string, now = systemClock.now()): Credential | undefined {
    return this.#cache.get(accessKeyId, this.#load, now);
  }

  #read(accessKeyId: string): Credential | undefined {
    const key = this.#store.accessKeys.find(accessKeyId);
    if (!key) return undefined;
    const account = this.#store.accounts.findById(key.accountId);
    return account && keyCredential(accessKeyId, this.#box.open(key.secretEnc), key.status, account);
  }
}

/**
 * The CredentialResolver over the async store (an API node on PostgreSQL): the same answers and the
 * same TTL, one lookup in flight per key however many requests wait on it. A failed lookup (the
 * database unreachable) is not kept: the next request asks again.
 */
export class AsyncCredentialResolver implements CredentialSource {
  readonly #store: Pick<AsyncRepositories, 'accessKeys' | 'accounts'>;
  readonly #box: SecretBox;
  readonly #sts: StsTokens;
  readonly #keys: TtlCache<string, Promise<Credential | undefined>>;
  readonly #accounts: TtlCache<number, Promise<AccountRecord | undefined>>;
  readonly #loadKey = (accessKeyId: string) =>
    this.#forgetOnFailure(this.#keys, accessKeyId, this.#read(accessKeyId));
  readonly #loadAccount = (id: number) =>
    this.#forgetOnFailure(this.#accounts, id, this.#store.accounts.findById(id));

  constructor(store: Pick<AsyncRepositories, 'accessKeys' | 'accounts'>, box: SecretBox, ttlMs = 2000) {
    this.#store = store;
    this.#box = box;
    this.#sts = new StsTokens(box);
    this.#keys = new TtlCache(ttlMs);
    this.#accounts = new TtlCache(ttlMs);
  }

  async resolveTemporary(
    accessKeyId: string,
    token: string | undefined,
    now = systemClock.now(),
  ): Promise<Credential | StsProblem | undefined> {
    const claims = this.#sts.check(accessKeyId, token, now);
    if (typeof claims === 'string') return claims;
    const account = await this.#accounts.get(claims.accountId, this.#loadAccount, now);
    return account && temporaryCredential(accessKeyId, claims.accessKeySecret, account);
  }

  resolve(accessKeyId: string, now = systemClock.now()): Promise<Credential | undefined> {
    return this.#keys.get(accessKeyId, this.#loadKey, now);
  }

  async #read(accessKeyId: string): Promise<Credential | undefined> {
    const key = await this.#store.accessKeys.find(accessKeyId);
    if (!key) return undefined;
    const account = await this.#store.accounts.findById(key.accountId);
    return account && keyCredential(accessKeyId, this.#box.open(key.secretEnc), key.status, account);
  }

  #forgetOnFailure<K, V>(cache: TtlCache<K, Promise<V>>, key: K, value: Promise<V>): Promise<V> {
    value.catch(() => cache.delete(key));
    return value;
  }
}

/**
 * Account administration on the embedded SQLite store: what `smartcall admin ...` and the embedded
 * bootstrap do (AsyncTenancyAdmin is its twin over any AsyncStore). Every input is
 * checked here and a bad one is a TenancyError with a message that says what to fix.
 */

import { wholeMs } from '../clock/clock.js';
import type {
  AccessKeyRecord,
  AccountRecord,
  CallbackSettings,
  DisplayNumberRecord,
  ReceiptSettings,
} from '../store/records.js';
import type { Store } from '../store/repositories.js';
import { generateTemporaryKeyPair } from './credentials.js';
import { compileDestinations, DestinationPatternError } from './destinations.js';
import type { SecretBox } from './secretBox.js';
import { StsTokens } from './stsTokens.js';
import {
  accountExists,
  type CallbackSettingsInput,
  checkNewAccount,
  checkQps,
  keyView,
  newAccessKey,
  nextCallbackSettings,
  nextReceiptSettings,
  noAccount,
  numberAddition,
  type ReceiptSettingsInput,
  TenancyError,
} from './tenancyRules.js';

export { type CallbackSettingsInput, TenancyError } from './tenancyRules.js';

/** Lifetimes Alibaba's AssumeRole accepts (DurationSeconds), and its default. */
export const STS_TTL_SECONDS = { min: 900, max: 43_200, default: 3600 } as const;

export interface TemporaryCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
  /** ISO 8601 UTC, like AssumeRole's `Expiration`. */
  expiration: string;
  account: string;
}

export class TenancyAdmin {
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #now: () => number;

  constructor(store: Store, box: SecretBox, now: () => number = () => wholeMs()) {
    this.#store = store;
    this.#box = box;
    this.#now = now;
  }

  createAccount(input: { name: string; qps?: number | null }): AccountRecord {
    checkNewAccount(input);
    if (this.#store.accounts.findByName(input.name)) throw accountExists(input.name);
    return this.#store.accounts.create({ name: input.name, qps: input.qps ?? null, now: this.#now() });
  }

  account(name: string): AccountRecord {
    const account = this.#store.accounts.findByName(name);
    if (!account) throw noAccount(name);
    return account;
  }

  /** The account's callback signing secret in clear (for the callback client). */
  callbackSecret(account: AccountRecord): string | undefined {
    return account.callback.signingSecretEnc ? this.#box.open(account.callback.signingSecretEnc) : undefined;
  }

  listAccounts(): AccountRecord[] {
    return this.#store.accounts.list();
  }

  setAccountStatus(name: string, status: 'active' | 'disabled'): AccountRecord {
    const account = this.account(name);
    this.#store.accounts.setStatus(account.id, status);
    return this.account(name);
  }

  setAccountQps(name: string, qps: number | null): AccountRecord {
    checkQps(qps);
    const account = this.account(name);
    this.#store.accounts.setQps(account.id, qps);
    return this.account(name);
  }

  /**
   * The numbers `transfer` / `parallel_transfer` may dial for this account: regular expressions
   * matched against the whole number; null restores the default (mainland numbers only).
   */
  setAllowedDestinations(name: string, patterns: readonly string[] | null): AccountRecord {
    if (patterns !== null) {
      if (patterns.length === 0) throw new TenancyError('give at least one --allow pattern, or --default');
      try {
        compileDestinations(patterns);
      } catch (err) {
        if (err instanceof DestinationPatternError) throw new TenancyError(err.message);
        throw err;
      }
    }
    const account = this.account(name);
    this.#store.accounts.setAllowedDestinations(account.id, patterns);
    return this.account(name);
  }

  /** The secret is returned here and never again: only its sealed form is stored. */
  createKey(accountName: string): { accessKeyId: string; accessKeySecret: string; account: string } {
    const key = newAccessKey(this.account(accountName), this.#box, this.#now());
    this.#store.accessKeys.insert(key.record);
    return key.shown;
  }

  /**
   * Issues a temporary AccessKeyId/secret/SecurityToken triple acting for the account until
   * `ttlSeconds` from now. Nothing is stored: the token carries the rest, sealed.
   */
  createTemporaryCredential(
    accountName: string,
    ttlSeconds: number = STS_TTL_SECONDS.default,
  ): TemporaryCredential {
    const account = this.account(accountName);
    if (account.status !== 'active') throw new TenancyError(`account "${account.name}" is disabled`);
    const { min, max } = STS_TTL_SECONDS;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < min || ttlSeconds > max) {
      throw new TenancyError(`ttl must be an integer between ${min} and ${max} seconds`);
    }
    const pair = generateTemporaryKeyPair();
    // Whole seconds, so the printed Expiration is exactly the instant the gateway enforces.
    const expiresAt = Math.floor(this.#now() / 1000) * 1000 + ttlSeconds * 1000;
    const securityToken = new StsTokens(this.#box).seal({ ...pair, accountId: account.id, expiresAt });
    return {
      ...pair,
      securityToken,
      expiration: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      account: account.name,
    };
  }

  listKeys(accountName: string): Omit<AccessKeyRecord, 'secretEnc'>[] {
    const account = this.account(accountName);
    return this.#store.accessKeys.listByAccount(account.id).map(keyView);
  }

  setKeyStatus(accessKeyId: string, status: 'active' | 'disabled'): void {
    if (!this.#store.accessKeys.setStatus(accessKeyId, status))
      throw new TenancyError(`no access key ${accessKeyId}`);
  }

  deleteKey(accessKeyId: string): void {
    if (!this.#store.accessKeys.delete(accessKeyId)) throw new TenancyError(`no access key ${accessKeyId}`);
  }

  /** Adds a display number; `inbound` also (or, for a number it owns already, now) takes calls in. */
  addNumber(accountName: string, number: string, options: { inbound?: boolean } = {}): DisplayNumberRecord {
    const account = this.account(accountName);
    const { change, record } = numberAddition(
      account,
      number,
      this.#store.numbers.find(number),
      options,
      this.#now(),
    );
    if (change === 'inbound') this.#store.numbers.setInbound(account.id, number, true);
    if (change === 'add') this.#store.numbers.add(record);
    return record;
  }

  removeNumber(accountName: string, number: string): void {
    const account = this.account(accountName);
    if (!this.#store.numbers.remove(account.id, number)) {
      throw new TenancyError(`account "${accountName}" does not own ${number}`);
    }
  }

  listNumbers(accountName: string): DisplayNumberRecord[] {
    return this.#store.numbers.listByAccount(this.account(accountName).id);
  }

  setCallback(accountName: string, input: CallbackSettingsInput): CallbackSettings {
    const account = this.account(accountName);
    const next = nextCallbackSettings(account.callback, input, this.#box);
    this.#store.accounts.setCallback(account.id, next);
    return next;
  }

  /** Receipt push settings (spec §5.1): see `nextReceiptSettings`. */
  setReceipts(accountName: string, input: ReceiptSettingsInput): ReceiptSettings {
    const account = this.account(accountName);
    const next = nextReceiptSettings(account.receipts, input);
    this.#store.accounts.setReceipts(account.id, next);
    return next;
  }
}

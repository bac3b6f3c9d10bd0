/**
 * Account administration: what `smartcall admin ...` and the embedded bootstrap do. Every input is
 * checked here and a bad one is a TenancyError with a message that says what to fix.
 */

import { wholeMs } from '../clock/clock.js';
import { UNRECOGNIZED_SPEECH } from '../contract/callbackContent.js';
import { ACTIONS } from '../contract/callbackReply.js';
import {
  type AccessKeyRecord,
  type AccountRecord,
  type CallbackBodyMode,
  type CallbackSettings,
  type DisplayNumberRecord,
  RECEIPT_TYPES,
  type ReceiptSettings,
  type ReceiptType,
} from '../store/records.js';
import type { Store } from '../store/repositories.js';
import { generateAccessKeyPair, generateTemporaryKeyPair } from './credentials.js';
import { compileDestinations, DestinationPatternError } from './destinations.js';
import type { SecretBox } from './secretBox.js';
import { StsTokens } from './stsTokens.js';

export class TenancyError extends Error {
  override name = 'TenancyError';
}

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

const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Display numbers: digits with an optional leading +, as carriers write them. */
const DISPLAY_NUMBER = /^\+?\d{5,20}$/;
const CALLBACK_ACTIONS = new Set<string>(ACTIONS);

export interface CallbackSettingsInput {
  url?: string | null;
  timeoutMs?: number;
  fallbackReply?: string | null;
  bodyMode?: CallbackBodyMode;
  /** Secret for the X-Smartcall-Signature header; null/empty removes it. */
  signingSecret?: string | null;
  /** What an utterance the recognizer rejects produces: `callback` (empty words) or `silent`. */
  unrecognized?: string;
}

function checkHttpUrl(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TenancyError(`${what} "${url}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TenancyError(`${what} must use http or https, got ${parsed.protocol}`);
  }
  return parsed.toString();
}

/** The fallback is a callback reply: the whole envelope or just its `data` object. */
function checkFallbackReply(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TenancyError(`fallback reply is not JSON: ${(err as Error).message}`);
  }
  const obj = value as Record<string, unknown> | null;
  const data = (obj && typeof obj.data === 'object' ? obj.data : obj) as Record<string, unknown> | null;
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw new TenancyError('fallback reply must be a JSON object');
  if (typeof data.action !== 'string' || !CALLBACK_ACTIONS.has(data.action)) {
    throw new TenancyError(`fallback reply needs an action, one of ${[...CALLBACK_ACTIONS].join(', ')}`);
  }
  return JSON.stringify(value);
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
    if (!ACCOUNT_NAME.test(input.name)) {
      throw new TenancyError(
        `account name "${input.name}" is not valid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      );
    }
    if (input.qps != null && (!Number.isInteger(input.qps) || input.qps < 1)) {
      throw new TenancyError('qps must be a positive integer');
    }
    if (this.#store.accounts.findByName(input.name))
      throw new TenancyError(`account "${input.name}" already exists`);
    return this.#store.accounts.create({ name: input.name, qps: input.qps ?? null, now: this.#now() });
  }

  account(name: string): AccountRecord {
    const account = this.#store.accounts.findByName(name);
    if (!account) throw new TenancyError(`no account named "${name}"`);
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
    if (qps != null && (!Number.isInteger(qps) || qps < 1))
      throw new TenancyError('qps must be a positive integer');
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
    const account = this.account(accountName);
    const pair = generateAccessKeyPair();
    this.#store.accessKeys.insert({
      accessKeyId: pair.accessKeyId,
      accountId: account.id,
      secretEnc: this.#box.seal(pair.accessKeySecret),
      status: 'active',
      createdAt: this.#now(),
    });
    return { ...pair, account: account.name };
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
    return this.#store.accessKeys.listByAccount(account.id).map(({ secretEnc: _secret, ...rest }) => rest);
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
    if (!DISPLAY_NUMBER.test(number)) {
      throw new TenancyError(
        `display number "${number}" is not valid: 5-20 digits, optionally starting with +`,
      );
    }
    const owner = this.#store.numbers.find(number);
    if (owner) {
      if (owner.accountId !== account.id)
        throw new TenancyError(`number ${number} belongs to another account`);
      if (options.inbound && !owner.inbound) {
        this.#store.numbers.setInbound(account.id, number, true);
        return { ...owner, inbound: true };
      }
      return owner;
    }
    const record = {
      number,
      accountId: account.id,
      inbound: options.inbound === true,
      createdAt: this.#now(),
    };
    this.#store.numbers.add(record);
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
    const current = account.callback;
    const next: CallbackSettings = {
      url: input.url === undefined ? current.url : input.url && checkHttpUrl(input.url, 'callback URL'),
      timeoutMs: input.timeoutMs ?? current.timeoutMs,
      fallbackReply:
        input.fallbackReply === undefined
          ? current.fallbackReply
          : input.fallbackReply && checkFallbackReply(input.fallbackReply),
      bodyMode: input.bodyMode ?? current.bodyMode,
      signingSecretEnc:
        input.signingSecret === undefined
          ? current.signingSecretEnc
          : input.signingSecret && this.#box.seal(input.signingSecret),
      unrecognized: current.unrecognized,
    };
    if (input.unrecognized !== undefined) {
      const mode = UNRECOGNIZED_SPEECH.find((m) => m === input.unrecognized);
      if (!mode) throw new TenancyError(`unrecognized must be ${UNRECOGNIZED_SPEECH.join(' or ')}`);
      next.unrecognized = mode;
    }
    if (input.signingSecret && input.signingSecret.length < 16) {
      throw new TenancyError('a signing secret needs at least 16 characters');
    }
    if (!Number.isInteger(next.timeoutMs) || next.timeoutMs < 100 || next.timeoutMs > 60_000) {
      throw new TenancyError('callback timeout must be an integer between 100 and 60000 ms');
    }
    if (next.bodyMode !== 'query' && next.bodyMode !== 'form')
      throw new TenancyError('body mode must be query or form');
    this.#store.accounts.setCallback(account.id, next);
    return next;
  }

  /**
   * Receipt push settings (spec §5.1). With `type`, `url` is that MessageType's own URL (null or
   * empty removes it), as the Alibaba console configures push; without, `url` and `types` are the
   * one URL serving the listed types.
   */
  setReceipts(
    accountName: string,
    input: { url?: string | null; types?: string[]; type?: string },
  ): ReceiptSettings {
    const account = this.account(accountName);
    const current = account.receipts;
    const known = (t: string): t is ReceiptType => (RECEIPT_TYPES as readonly string[]).includes(t);
    const check = (t: string): ReceiptType => {
      if (!known(t)) throw new TenancyError(`unknown receipt type "${t}": use ${RECEIPT_TYPES.join(', ')}`);
      return t;
    };
    let next: ReceiptSettings;
    if (input.type !== undefined) {
      const type = check(input.type);
      if (input.types !== undefined) throw new TenancyError('give either --type or --types, not both');
      if (input.url === undefined) throw new TenancyError(`--type ${type} needs --url (empty removes it)`);
      const typeUrls = { ...current.typeUrls };
      if (input.url) typeUrls[type] = checkHttpUrl(input.url, 'receipt URL');
      else delete typeUrls[type];
      next = { ...current, typeUrls };
    } else {
      const types = (input.types ?? current.types).map(check);
      next = {
        ...current,
        url: input.url === undefined ? current.url : input.url && checkHttpUrl(input.url, 'receipt URL'),
        types: [...new Set(types)],
      };
    }
    this.#store.accounts.setReceipts(account.id, next);
    return next;
  }
}

/**
 * What account administration checks and decides, as pure functions over records: shared by
 * TenancyAdmin (synchronous, SQLite) and AsyncTenancyAdmin (any AsyncStore, e.g. PostgreSQL), so
 * both stores accept and refuse exactly the same input. A bad input is a TenancyError whose message
 * says what to fix.
 */

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
import { generateAccessKeyPair } from './credentials.js';

export class TenancyError extends Error {
  override name = 'TenancyError';
}

/** What seals a secret for the store (a SecretBox). */
export interface Sealer {
  seal(plaintext: string): string;
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

/** Receipt settings input: see `nextReceiptSettings`. */
export interface ReceiptSettingsInput {
  url?: string | null;
  types?: string[];
  type?: string;
}

export function checkQps(qps: number | null | undefined): void {
  if (qps != null && (!Number.isInteger(qps) || qps < 1))
    throw new TenancyError('qps must be a positive integer');
}

export function checkNewAccount(input: { name: string; qps?: number | null }): void {
  if (!ACCOUNT_NAME.test(input.name)) {
    throw new TenancyError(
      `account name "${input.name}" is not valid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  checkQps(input.qps);
}

export function accountExists(name: string): TenancyError {
  return new TenancyError(`account "${name}" already exists`);
}

export function noAccount(name: string): TenancyError {
  return new TenancyError(`no account named "${name}"`);
}

/** A fresh AccessKey pair for the account: the record to store (secret sealed) and the clear pair. */
export function newAccessKey(
  account: AccountRecord,
  box: Sealer,
  now: number,
): { record: AccessKeyRecord; shown: { accessKeyId: string; accessKeySecret: string; account: string } } {
  const pair = generateAccessKeyPair();
  return {
    record: {
      accessKeyId: pair.accessKeyId,
      accountId: account.id,
      secretEnc: box.seal(pair.accessKeySecret),
      status: 'active',
      createdAt: now,
    },
    shown: { ...pair, account: account.name },
  };
}

/** An access key as listed: never its sealed secret. */
export function keyView({
  secretEnc: _secret,
  ...rest
}: AccessKeyRecord): Omit<AccessKeyRecord, 'secretEnc'> {
  return rest;
}

/**
 * What adding `number` to the account does, given the number's current owner: nothing (it owns it
 * already), turn inbound on, or add it. Throws when the number is invalid or another account's.
 */
export function numberAddition(
  account: AccountRecord,
  number: string,
  owner: DisplayNumberRecord | undefined,
  options: { inbound?: boolean },
  now: number,
): { change: 'none' | 'inbound' | 'add'; record: DisplayNumberRecord } {
  if (!DISPLAY_NUMBER.test(number)) {
    throw new TenancyError(
      `display number "${number}" is not valid: 5-20 digits, optionally starting with +`,
    );
  }
  if (owner) {
    if (owner.accountId !== account.id) throw new TenancyError(`number ${number} belongs to another account`);
    if (options.inbound && !owner.inbound) return { change: 'inbound', record: { ...owner, inbound: true } };
    return { change: 'none', record: owner };
  }
  return {
    change: 'add',
    record: { number, accountId: account.id, inbound: options.inbound === true, createdAt: now },
  };
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

/** The callback settings after `input` (undefined fields keep `current`), checked; a secret is sealed. */
export function nextCallbackSettings(
  current: CallbackSettings,
  input: CallbackSettingsInput,
  box: Sealer,
): CallbackSettings {
  const next: CallbackSettings = {
    url: input.url === undefined ? current.url : input.url && checkHttpUrl(input.url, 'callback URL'),
    timeoutMs: input.timeoutMs ?? current.timeoutMs,
    fallbackReply:
      input.fallbackReply === undefined
        ? current.fallbackReply
        : input.fallbackReply && checkFallbackReply(input.fallbackReply),
    bodyMode: input.bodyMode ?? current.bodyMode,
    signingSecretEnc: current.signingSecretEnc,
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
  // Sealed last, once the rest is known good (sealing may need a master key the caller lacks).
  if (input.signingSecret !== undefined)
    next.signingSecretEnc = input.signingSecret && box.seal(input.signingSecret);
  return next;
}

/**
 * Receipt push settings (spec §5.1). With `type`, `url` is that MessageType's own URL (null or
 * empty removes it), as the Alibaba console configures push; without, `url` and `types` are the
 * one URL serving the listed types.
 */
export function nextReceiptSettings(current: ReceiptSettings, input: ReceiptSettingsInput): ReceiptSettings {
  const known = (t: string): t is ReceiptType => (RECEIPT_TYPES as readonly string[]).includes(t);
  const check = (t: string): ReceiptType => {
    if (!known(t)) throw new TenancyError(`unknown receipt type "${t}": use ${RECEIPT_TYPES.join(', ')}`);
    return t;
  };
  if (input.type !== undefined) {
    const type = check(input.type);
    if (input.types !== undefined) throw new TenancyError('give either --type or --types, not both');
    if (input.url === undefined) throw new TenancyError(`--type ${type} needs --url (empty removes it)`);
    const typeUrls = { ...current.typeUrls };
    if (input.url) typeUrls[type] = checkHttpUrl(input.url, 'receipt URL');
    else delete typeUrls[type];
    return { ...current, typeUrls };
  }
  const types = (input.types ?? current.types).map(check);
  return {
    ...current,
    url: input.url === undefined ? current.url : input.url && checkHttpUrl(input.url, 'receipt URL'),
    types: [...new Set(types)],
  };
}

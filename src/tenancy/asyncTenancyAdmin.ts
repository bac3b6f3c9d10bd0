/**
 * TenancyAdmin's twin over an AsyncStore (issue 15): the administration a PostgreSQL deployment
 * needs first (accounts, access keys, display numbers, callback and receipt settings), with the same
 * checks (tenancyRules.ts), so both stores accept and refuse the same input.
 */

import { wholeMs } from '../clock/clock.js';
import type { AsyncStore } from '../store/asyncStore.js';
import * as rules from './tenancyRules.js';

export class AsyncTenancyAdmin {
  readonly #store: AsyncStore;
  readonly #box: rules.Sealer;
  readonly #now: () => number;

  /** `box` seals access key and signing secrets; on a shared store, with the nodes' master key. */
  constructor(store: AsyncStore, box: rules.Sealer, now: () => number = () => wholeMs()) {
    this.#store = store;
    this.#box = box;
    this.#now = now;
  }

  async createAccount(input: { name: string; qps?: number | null }) {
    rules.checkNewAccount(input);
    if (await this.#store.accounts.findByName(input.name)) throw rules.accountExists(input.name);
    return this.#store.accounts.create({ name: input.name, qps: input.qps ?? null, now: this.#now() });
  }

  async account(name: string) {
    const account = await this.#store.accounts.findByName(name);
    if (!account) throw rules.noAccount(name);
    return account;
  }

  listAccounts() {
    return this.#store.accounts.list();
  }

  /** The secret is returned here and never again: only its sealed form is stored. */
  async createKey(accountName: string) {
    const key = rules.newAccessKey(await this.account(accountName), this.#box, this.#now());
    await this.#store.accessKeys.insert(key.record);
    return key.shown;
  }

  async listKeys(accountName: string) {
    const account = await this.account(accountName);
    return (await this.#store.accessKeys.listByAccount(account.id)).map(rules.keyView);
  }

  /** Adds a display number; `inbound` also (or, for a number it owns already, now) takes calls in. */
  async addNumber(accountName: string, number: string, options: { inbound?: boolean } = {}) {
    const account = await this.account(accountName);
    const owner = await this.#store.numbers.find(number);
    const { change, record } = rules.numberAddition(account, number, owner, options, this.#now());
    if (change === 'inbound') await this.#store.numbers.setInbound(account.id, number, true);
    if (change === 'add') await this.#store.numbers.add(record);
    return record;
  }

  async listNumbers(accountName: string) {
    return this.#store.numbers.listByAccount((await this.account(accountName)).id);
  }

  async setCallback(accountName: string, input: rules.CallbackSettingsInput) {
    const account = await this.account(accountName);
    const next = rules.nextCallbackSettings(account.callback, input, this.#box);
    await this.#store.accounts.setCallback(account.id, next);
    return next;
  }

  /** Receipt push settings (spec §5.1): see `rules.nextReceiptSettings`. */
  async setReceipts(accountName: string, input: rules.ReceiptSettingsInput) {
    const account = await this.account(accountName);
    const next = rules.nextReceiptSettings(account.receipts, input);
    await this.#store.accounts.setReceipts(account.id, next);
    return next;
  }
}

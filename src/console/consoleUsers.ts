/**
 * Console users: who may log in, with which role, seeing which account. Made with
 * `smartcall admin console-user add`, and once on the first start (`admin`, a random password
 * printed beside the demo AccessKey).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock/clock.js';
import { CONSOLE_ROLES, type ConsoleRole, type ConsoleUserRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import { hashPassword, verifyPassword } from './passwordHash.js';

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const MIN_PASSWORD = 8;
const FIRST_ADMIN = 'admin';

export interface ConsoleUserView {
  name: string;
  role: ConsoleRole;
  /** The account name this user is limited to; null: every account. */
  account: string | null;
  createdAt: string;
}

export interface ConsoleLogin {
  name: string;
  password: string;
}

export class ConsoleUsers {
  readonly #store: Store;
  readonly #clock: Clock;
  /** Compared against when the name is unknown, so a wrong name costs as long as a wrong password. */
  #decoy: Promise<string> | undefined;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async add(input: {
    name: string;
    password: string;
    role: string;
    account?: string;
  }): Promise<ConsoleUserView> {
    if (!NAME.test(input.name)) throw new Error('--name: 1-64 letters, digits or . _ @ - (e.g. ops@acme)');
    if (input.password.length < MIN_PASSWORD || input.password.length > 1024)
      throw new Error(`--password: at least ${MIN_PASSWORD} characters`);
    if (!(CONSOLE_ROLES as readonly string[]).includes(input.role))
      throw new Error(`--role: ${CONSOLE_ROLES.join(' or ')}, not ${JSON.stringify(input.role)}`);
    let accountId: number | null = null;
    if (input.account !== undefined) {
      const account = this.#store.accounts.findByName(input.account);
      if (!account) throw new Error(`--account: no account named ${JSON.stringify(input.account)}`);
      accountId = account.id;
    }
    if (this.#store.consoleUsers.find(input.name))
      throw new Error(`a console user named ${JSON.stringify(input.name)} exists already`);
    const record: ConsoleUserRecord = {
      name: input.name,
      passwordHash: await hashPassword(input.password),
      role: input.role as ConsoleRole,
      accountId,
      createdAt: Math.round(this.#clock.now()),
    };
    if (!this.#store.consoleUsers.insert(record))
      throw new Error(`a console user named ${JSON.stringify(input.name)} exists already`);
    return this.view(record);
  }

  list(): ConsoleUserView[] {
    return this.#store.consoleUsers.list().map((u) => this.view(u));
  }

  remove(name: string): void {
    if (!this.#store.consoleUsers.remove(name))
      throw new Error(`no console user named ${JSON.stringify(name)}`);
  }

  /** The user when name and password match; undefined otherwise (same cost either way). */
  async authenticate(name: string, password: string): Promise<ConsoleUserRecord | undefined> {
    const user = this.#store.consoleUsers.find(name);
    if (!user) {
      this.#decoy ??= hashPassword(randomBytes(12).toString('hex'));
      await verifyPassword(password, await this.#decoy);
      return undefined;
    }
    return (await verifyPassword(password, user.passwordHash)) ? user : undefined;
  }

  /**
   * On the first start (no console user, none made before), an `admin` with a random password;
   * returned so it can be printed once. Undefined on every later start.
   */
  async ensureFirstAdmin(): Promise<ConsoleLogin | undefined> {
    if (this.#store.meta.get('console_admin_created')) return undefined;
    if (this.#store.consoleUsers.list().length > 0) return undefined;
    const password = randomBytes(12).toString('base64url');
    await this.add({ name: FIRST_ADMIN, password, role: 'admin' });
    this.#store.meta.set('console_admin_created', new Date(this.#clock.now()).toISOString());
    return { name: FIRST_ADMIN, password };
  }

  view(u: ConsoleUserRecord): ConsoleUserView {
    return {
      name: u.name,
      role: u.role,
      account: u.accountId === null ? null : (this.#store.accounts.findById(u.accountId)?.name ?? null),
      createdAt: new Date(u.createdAt).toISOString(),
    };
  }
}

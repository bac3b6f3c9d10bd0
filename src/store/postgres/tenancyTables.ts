/** Meta facts, accounts, access keys and display numbers in PostgreSQL (rows as in SQLite). */
import type { Async } from '../asyncStore.js';
import type {
  AccessKeyRecord,
  AccessKeyStatus,
  AccountRecord,
  AccountStatus,
  CallbackSettings,
  DisplayNumberRecord,
  ReceiptSettings,
} from '../records.js';
import type {
  AccessKeyRepository,
  AccountRepository,
  DisplayNumberRepository,
  MetaRepository,
} from '../repositories.js';
import { type AccessKeyRow, toRecord as toAccessKey } from '../sqlite/accessKeyTable.js';
import { type AccountRow, toRecord as toAccount } from '../sqlite/accountTable.js';
import { type NumberRow, toRecord as toNumber } from '../sqlite/displayNumberTable.js';
import type { Queryable } from './pgDatabase.js';
import { changes, one, rows } from './rows.js';

export class PgMetaRepository implements Async<MetaRepository> {
  constructor(readonly db: Queryable) {}

  async get(key: string): Promise<string | undefined> {
    return (await one<{ value: string }>(this.db, 'SELECT value FROM meta WHERE key = $1', [key]))?.value;
  }

  async set(key: string, value: string): Promise<void> {
    await this.db.query(
      'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }
}

export class PgAccountRepository implements Async<AccountRepository> {
  constructor(readonly db: Queryable) {}

  async create(input: { name: string; qps?: number | null; now: number }): Promise<AccountRecord> {
    const row = await one<AccountRow>(
      this.db,
      'INSERT INTO accounts (name, qps, created_at) VALUES ($1, $2, $3) RETURNING *',
      [input.name, input.qps ?? null, input.now],
    );
    return toAccount(row!);
  }

  async findById(id: number): Promise<AccountRecord | undefined> {
    const row = await one<AccountRow>(this.db, 'SELECT * FROM accounts WHERE id = $1', [id]);
    return row && toAccount(row);
  }

  async findByName(name: string): Promise<AccountRecord | undefined> {
    const row = await one<AccountRow>(this.db, 'SELECT * FROM accounts WHERE name = $1', [name]);
    return row && toAccount(row);
  }

  async list(): Promise<AccountRecord[]> {
    return (await rows<AccountRow>(this.db, 'SELECT * FROM accounts ORDER BY id')).map(toAccount);
  }

  async setStatus(id: number, status: AccountStatus): Promise<void> {
    await changes(this.db, 'UPDATE accounts SET status = $1 WHERE id = $2', [status, id]);
  }

  async setQps(id: number, qps: number | null): Promise<void> {
    await changes(this.db, 'UPDATE accounts SET qps = $1 WHERE id = $2', [qps, id]);
  }

  async setAllowedDestinations(id: number, patterns: readonly string[] | null): Promise<void> {
    await changes(this.db, 'UPDATE accounts SET allowed_destinations = $1 WHERE id = $2', [
      patterns === null ? null : JSON.stringify(patterns),
      id,
    ]);
  }

  async setCallback(id: number, s: CallbackSettings): Promise<void> {
    await changes(
      this.db,
      `UPDATE accounts SET callback_url = $1, callback_timeout_ms = $2, callback_fallback = $3,
       callback_body_mode = $4, callback_secret_enc = $5, callback_unrecognized = $6 WHERE id = $7`,
      [s.url, s.timeoutMs, s.fallbackReply, s.bodyMode, s.signingSecretEnc, s.unrecognized, id],
    );
  }

  async setReceipts(
    id: number,
    s: Omit<ReceiptSettings, 'typeUrls'> & Partial<ReceiptSettings>,
  ): Promise<void> {
    await changes(
      this.db,
      'UPDATE accounts SET receipt_url = $1, receipt_types = $2, receipt_type_urls = $3 WHERE id = $4',
      [s.url, s.types.join(','), JSON.stringify(s.typeUrls ?? {}), id],
    );
  }
}

export class PgAccessKeyRepository implements Async<AccessKeyRepository> {
  constructor(readonly db: Queryable) {}

  async insert(r: AccessKeyRecord): Promise<void> {
    await changes(
      this.db,
      'INSERT INTO access_keys (access_key_id, account_id, secret_enc, status, created_at) VALUES ($1, $2, $3, $4, $5)',
      [r.accessKeyId, r.accountId, r.secretEnc, r.status, r.createdAt],
    );
  }

  async find(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const row = await one<AccessKeyRow>(this.db, 'SELECT * FROM access_keys WHERE access_key_id = $1', [
      accessKeyId,
    ]);
    return row && toAccessKey(row);
  }

  async listByAccount(accountId: number): Promise<AccessKeyRecord[]> {
    return (
      await rows<AccessKeyRow>(
        this.db,
        'SELECT * FROM access_keys WHERE account_id = $1 ORDER BY created_at, access_key_id',
        [accountId],
      )
    ).map(toAccessKey);
  }

  async setStatus(accessKeyId: string, status: AccessKeyStatus): Promise<boolean> {
    return (
      (await changes(this.db, 'UPDATE access_keys SET status = $1 WHERE access_key_id = $2', [
        status,
        accessKeyId,
      ])) > 0
    );
  }

  async delete(accessKeyId: string): Promise<boolean> {
    return (await changes(this.db, 'DELETE FROM access_keys WHERE access_key_id = $1', [accessKeyId])) > 0;
  }
}

export class PgDisplayNumberRepository implements Async<DisplayNumberRepository> {
  constructor(readonly db: Queryable) {}

  async add(r: DisplayNumberRecord): Promise<void> {
    await changes(
      this.db,
      'INSERT INTO display_numbers (number, account_id, inbound, created_at) VALUES ($1, $2, $3, $4)',
      [r.number, r.accountId, r.inbound ? 1 : 0, r.createdAt],
    );
  }

  async setInbound(accountId: number, number: string, inbound: boolean): Promise<boolean> {
    return (
      (await changes(
        this.db,
        'UPDATE display_numbers SET inbound = $1 WHERE account_id = $2 AND number = $3',
        [inbound ? 1 : 0, accountId, number],
      )) > 0
    );
  }

  async remove(accountId: number, number: string): Promise<boolean> {
    return (
      (await changes(this.db, 'DELETE FROM display_numbers WHERE account_id = $1 AND number = $2', [
        accountId,
        number,
      ])) > 0
    );
  }

  async find(number: string): Promise<DisplayNumberRecord | undefined> {
    const row = await one<NumberRow>(this.db, 'SELECT * FROM display_numbers WHERE number = $1', [number]);
    return row && toNumber(row);
  }

  async listByAccount(accountId: number): Promise<DisplayNumberRecord[]> {
    return (
      await rows<NumberRow>(this.db, 'SELECT * FROM display_numbers WHERE account_id = $1 ORDER BY number', [
        accountId,
      ])
    ).map(toNumber);
  }
}

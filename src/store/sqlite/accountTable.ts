import type { UnrecognizedSpeech } from '../../contract/callbackContent.js';
import {
  type AccountRecord,
  type AccountStatus,
  type CallbackBodyMode,
  type CallbackSettings,
  RECEIPT_TYPES,
  type ReceiptSettings,
  type ReceiptType,
} from '../records.js';
import type { AccountRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

export interface AccountRow {
  id: number;
  name: string;
  status: AccountStatus;
  qps: number | null;
  callback_url: string | null;
  callback_timeout_ms: number;
  callback_fallback: string | null;
  callback_body_mode: CallbackBodyMode;
  callback_secret_enc: string | null;
  callback_unrecognized: UnrecognizedSpeech;
  receipt_url: string | null;
  receipt_types: string;
  receipt_type_urls: string;
  allowed_destinations: string | null;
  created_at: number;
}

const isReceiptType = (t: string): t is ReceiptType => (RECEIPT_TYPES as readonly string[]).includes(t);

/** The per-type URLs column: a JSON object of MessageType → URL (unknown keys are dropped). */
function typeUrlsOf(text: string): Partial<Record<ReceiptType, string>> {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const urls: Partial<Record<ReceiptType, string>> = {};
  for (const [type, url] of Object.entries(parsed)) {
    if (isReceiptType(type) && typeof url === 'string' && url) urls[type] = url;
  }
  return urls;
}

export function toRecord(row: AccountRow): AccountRecord {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    qps: row.qps,
    callback: {
      url: row.callback_url,
      timeoutMs: row.callback_timeout_ms,
      fallbackReply: row.callback_fallback,
      bodyMode: row.callback_body_mode,
      signingSecretEnc: row.callback_secret_enc,
      unrecognized: row.callback_unrecognized,
    },
    receipts: {
      url: row.receipt_url,
      types: row.receipt_types.split(',').filter(isReceiptType),
      typeUrls: typeUrlsOf(row.receipt_type_urls),
    },
    allowedDestinations:
      row.allowed_destinations === null ? null : (JSON.parse(row.allowed_destinations) as string[]),
    createdAt: row.created_at,
  };
}

export class SqliteAccountRepository implements AccountRepository {
  readonly #byId;
  readonly #byName;
  readonly #all;
  readonly #insert;
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#byId = db.prepare<[number], AccountRow>('SELECT * FROM accounts WHERE id = ?');
    this.#byName = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE name = ?');
    this.#all = db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY id');
    this.#insert = db.prepare('INSERT INTO accounts (name, qps, created_at) VALUES (?, ?, ?)');
  }

  create(input: { name: string; qps?: number | null; now: number }): AccountRecord {
    const info = this.#insert.run(input.name, input.qps ?? null, input.now);
    return this.findById(Number(info.lastInsertRowid))!;
  }

  findById(id: number): AccountRecord | undefined {
    const row = this.#byId.get(id);
    return row && toRecord(row);
  }

  findByName(name: string): AccountRecord | undefined {
    const row = this.#byName.get(name);
    return row && toRecord(row);
  }

  list(): AccountRecord[] {
    return this.#all.all().map(toRecord);
  }

  setStatus(id: number, status: AccountStatus): void {
    this.#db.prepare('UPDATE accounts SET status = ? WHERE id = ?').run(status, id);
  }

  setQps(id: number, qps: number | null): void {
    this.#db.prepare('UPDATE accounts SET qps = ? WHERE id = ?').run(qps, id);
  }

  setAllowedDestinations(id: number, patterns: readonly string[] | null): void {
    this.#db
      .prepare('UPDATE accounts SET allowed_destinations = ? WHERE id = ?')
      .run(patterns === null ? null : JSON.stringify(patterns), id);
  }

  setCallback(id: number, s: CallbackSettings): void {
    this.#db
      .prepare(
        `UPDATE accounts SET callback_url = ?, callback_timeout_ms = ?, callback_fallback = ?,
         callback_body_mode = ?, callback_secret_enc = ?, callback_unrecognized = ? WHERE id = ?`,
      )
      .run(s.url, s.timeoutMs, s.fallbackReply, s.bodyMode, s.signingSecretEnc, s.unrecognized, id);
  }

  setReceipts(id: number, s: Omit<ReceiptSettings, 'typeUrls'> & Partial<ReceiptSettings>): void {
    this.#db
      .prepare('UPDATE accounts SET receipt_url = ?, receipt_types = ?, receipt_type_urls = ? WHERE id = ?')
      .run(s.url, s.types.join(','), JSON.stringify(s.typeUrls ?? {}), id);
  }
}

import type { ConsoleRole, ConsoleSessionRecord, ConsoleUserRecord } from '../records.js';
import type { ConsoleSessionRepository, ConsoleUserRepository } from '../repositories.js';
import type { SqliteDatabase } from './database.js';

export interface UserRow {
  name: string;
  password_hash: string;
  role: ConsoleRole;
  account_id: number | null;
  created_at: number;
}

export const toUser = (r: UserRow): ConsoleUserRecord => ({
  name: r.name,
  passwordHash: r.password_hash,
  role: r.role,
  accountId: r.account_id,
  createdAt: r.created_at,
});

export class SqliteConsoleUserRepository implements ConsoleUserRepository {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  insert(u: ConsoleUserRecord): boolean {
    return (
      this.#db
        .prepare(
          `INSERT OR IGNORE INTO console_users (name, password_hash, role, account_id, created_at)
           VALUES (@name, @passwordHash, @role, @accountId, @createdAt)`,
        )
        .run(u).changes === 1
    );
  }

  find(name: string): ConsoleUserRecord | undefined {
    const row = this.#db.prepare<[string], UserRow>('SELECT * FROM console_users WHERE name = ?').get(name);
    return row && toUser(row);
  }

  list(): ConsoleUserRecord[] {
    return this.#db.prepare<[], UserRow>('SELECT * FROM console_users ORDER BY name').all().map(toUser);
  }

  remove(name: string): boolean {
    // Sessions go with the user (ON DELETE CASCADE).
    return this.#db.prepare('DELETE FROM console_users WHERE name = ?').run(name).changes > 0;
  }
}

export interface SessionRow {
  token_hash: string;
  user_name: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export class SqliteConsoleSessionRepository implements ConsoleSessionRepository {
  readonly #insert;
  readonly #find;
  readonly #remove;
  readonly #expire;

  constructor(db: SqliteDatabase) {
    this.#insert = db.prepare(
      `INSERT INTO console_sessions (token_hash, user_name, csrf_token, created_at, expires_at)
       VALUES (@tokenHash, @userName, @csrfToken, @createdAt, @expiresAt)`,
    );
    this.#find = db.prepare<[string], SessionRow>('SELECT * FROM console_sessions WHERE token_hash = ?');
    this.#remove = db.prepare('DELETE FROM console_sessions WHERE token_hash = ?');
    this.#expire = db.prepare('DELETE FROM console_sessions WHERE expires_at < ?');
  }

  insert(s: ConsoleSessionRecord): void {
    this.#insert.run(s);
  }

  find(tokenHash: string): ConsoleSessionRecord | undefined {
    const r = this.#find.get(tokenHash);
    return (
      r && {
        tokenHash: r.token_hash,
        userName: r.user_name,
        csrfToken: r.csrf_token,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
      }
    );
  }

  remove(tokenHash: string): void {
    this.#remove.run(tokenHash);
  }

  removeExpired(now: number): number {
    return this.#expire.run(now).changes;
  }
}

/** Web console users and sessions in PostgreSQL (rows as in SQLite). */
import type { Async } from '../asyncStore.js';
import type { ConsoleSessionRecord, ConsoleUserRecord } from '../records.js';
import type { ConsoleSessionRepository, ConsoleUserRepository } from '../repositories.js';
import { type SessionRow, toUser, type UserRow } from '../sqlite/consoleTables.js';
import type { Queryable } from './pgDatabase.js';
import { changes, one, rows } from './rows.js';

export class PgConsoleUserRepository implements Async<ConsoleUserRepository> {
  constructor(readonly db: Queryable) {}

  async insert(u: ConsoleUserRecord): Promise<boolean> {
    return (
      (await changes(
        this.db,
        `INSERT INTO console_users (name, password_hash, role, account_id, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO NOTHING`,
        [u.name, u.passwordHash, u.role, u.accountId, u.createdAt],
      )) === 1
    );
  }

  async find(name: string): Promise<ConsoleUserRecord | undefined> {
    const row = await one<UserRow>(this.db, 'SELECT * FROM console_users WHERE name = $1', [name]);
    return row && toUser(row);
  }

  async list(): Promise<ConsoleUserRecord[]> {
    return (await rows<UserRow>(this.db, 'SELECT * FROM console_users ORDER BY name')).map(toUser);
  }

  async remove(name: string): Promise<boolean> {
    // Sessions go with the user (ON DELETE CASCADE).
    return (await changes(this.db, 'DELETE FROM console_users WHERE name = $1', [name])) > 0;
  }
}

export class PgConsoleSessionRepository implements Async<ConsoleSessionRepository> {
  constructor(readonly db: Queryable) {}

  async insert(s: ConsoleSessionRecord): Promise<void> {
    await changes(
      this.db,
      `INSERT INTO console_sessions (token_hash, user_name, csrf_token, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [s.tokenHash, s.userName, s.csrfToken, s.createdAt, s.expiresAt],
    );
  }

  async find(tokenHash: string): Promise<ConsoleSessionRecord | undefined> {
    const r = await one<SessionRow>(this.db, 'SELECT * FROM console_sessions WHERE token_hash = $1', [
      tokenHash,
    ]);
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

  async remove(tokenHash: string): Promise<void> {
    await changes(this.db, 'DELETE FROM console_sessions WHERE token_hash = $1', [tokenHash]);
  }

  async removeExpired(now: number): Promise<number> {
    return changes(this.db, 'DELETE FROM console_sessions WHERE expires_at < $1', [now]);
  }
}

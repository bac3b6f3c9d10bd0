/**
 * Console sessions, kept in the store: the cookie carries a random token, the store its SHA-256
 * (a copied database opens no session) with the session's CSRF token and expiry.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock/clock.js';
import type { ConsoleSessionRecord, ConsoleUserRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';

export const SESSION_TTL_MS = 12 * 3600_000;

export interface OpenSession {
  session: ConsoleSessionRecord;
  user: ConsoleUserRecord;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');

export class ConsoleSessions {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #ttlMs: number;

  constructor(store: Store, clock: Clock, ttlMs = SESSION_TTL_MS) {
    this.#store = store;
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  /** A new session for `userName`: the cookie token (shown to the browser only). */
  open(userName: string): { token: string; maxAgeS: number } {
    const now = Math.round(this.#clock.now());
    this.#store.consoleSessions.removeExpired(now);
    const token = randomBytes(32).toString('base64url');
    this.#store.consoleSessions.insert({
      tokenHash: hashOf(token),
      userName,
      csrfToken: randomBytes(24).toString('base64url'),
      createdAt: now,
      expiresAt: now + this.#ttlMs,
    });
    return { token, maxAgeS: Math.floor(this.#ttlMs / 1000) };
  }

  /** The live session and its user for a cookie token; undefined when unknown, expired or the user is gone. */
  lookup(token: string | undefined): OpenSession | undefined {
    if (!token) return undefined;
    const session = this.#store.consoleSessions.find(hashOf(token));
    if (!session) return undefined;
    if (session.expiresAt <= this.#clock.now()) {
      this.#store.consoleSessions.remove(session.tokenHash);
      return undefined;
    }
    const user = this.#store.consoleUsers.find(session.userName);
    return user && { session, user };
  }

  close(token: string | undefined): void {
    if (token) this.#store.consoleSessions.remove(hashOf(token));
  }
}

/** Constant-time comparison of a CSRF token sent back with the expected one. */
export function sameToken(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

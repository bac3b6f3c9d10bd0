/**
 * What lets an authentic request through to its action: its signature nonce not seen before
 * (spec §8.4), then the throttle (spec §7.2), in that order, so a replayed request takes no token.
 * In one process both answer at once (LocalAdmission); API nodes sharing Redis decide both in one
 * round trip (SharedAdmission).
 */
import type { NonceMemory } from './replayGuard.js';
import type { RequestLimiter, ThrottleVerdict } from './throttle.js';

export interface AdmissionRequest {
  accessKeyId: string;
  nonce: string;
  accountId: number;
  /** The account's requests per second. */
  accountRate: number;
  action: string;
  /** The action's per-account limit; undefined when it has none. */
  apiRate: number | undefined;
  now: number;
}

/** A throttle's verdict, or the nonce refused (`SignatureNonceUsed`). */
export type AdmissionVerdict = ThrottleVerdict | { pass: false; limit: 'nonce' };

export const NONCE_USED: AdmissionVerdict = { pass: false, limit: 'nonce' };

export interface Admission {
  admit(r: AdmissionRequest): AdmissionVerdict | Promise<AdmissionVerdict>;
}

/** The nonce memory, then the throttle, each answering alone. */
export class LocalAdmission implements Admission {
  readonly #nonces: NonceMemory;
  readonly #throttle: RequestLimiter;

  constructor(nonces: NonceMemory, throttle: RequestLimiter) {
    this.#nonces = nonces;
    this.#throttle = throttle;
  }

  admit(r: AdmissionRequest): AdmissionVerdict | Promise<AdmissionVerdict> {
    const fresh = this.#nonces.useNonce(r.accessKeyId, r.nonce, r.now);
    if (fresh === false) return NONCE_USED;
    if (fresh === true) return this.#take(r);
    return fresh.then((ok) => (ok ? this.#take(r) : NONCE_USED));
  }

  #take(r: AdmissionRequest): ThrottleVerdict | Promise<ThrottleVerdict> {
    return this.#throttle.take(r.accountId, r.accountRate, r.action, r.apiRate, r.now);
  }
}

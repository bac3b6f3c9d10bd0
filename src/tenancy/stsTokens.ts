/**
 * Temporary credentials (STS): an AccessKeyId starting `STS.`, a secret, and a SecurityToken that
 * carries both together with the account and the expiry, sealed (AES-256-GCM) under a key derived
 * from the installation's master key. The server keeps no state for them: the token alone says
 * which temporary key it belongs to, whom it acts for and until when, and nobody without the
 * master key can make or alter one (spec §8.2 `SecurityToken`, §8.3 `x-acs-security-token`).
 */
import type { SecretBox } from './secretBox.js';

/** Alibaba's temporary AccessKeyIds start with `STS.`; permanent ones with `LTAI`. */
export const TEMPORARY_KEY_PREFIX = 'STS.';

export function isTemporaryAccessKeyId(accessKeyId: string): boolean {
  return accessKeyId.startsWith(TEMPORARY_KEY_PREFIX);
}

export interface StsClaims {
  accessKeyId: string;
  accessKeySecret: string;
  accountId: number;
  /** Epoch ms after which the token is refused. */
  expiresAt: number;
}

/** Why a request's temporary credentials were refused (the gateway maps each to its code). */
export type StsProblem = 'missing' | 'malformed' | 'mismatch' | 'expired';

/** What the sealed JSON holds; short names keep the token (sent with every request) small. */
interface SealedClaims {
  k: string;
  s: string;
  a: number;
  e: number;
}

function isSealedClaims(v: unknown): v is SealedClaims {
  const c = v as Partial<SealedClaims> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.k === 'string' &&
    isTemporaryAccessKeyId(c.k) &&
    typeof c.s === 'string' &&
    Number.isSafeInteger(c.a) &&
    Number.isSafeInteger(c.e)
  );
}

export class StsTokens {
  readonly #box: SecretBox;

  constructor(box: SecretBox) {
    // A key of its own: an AccessKey secret sealed at rest never opens as a token.
    this.#box = box.derive('smartcall STS SecurityToken v1');
  }

  seal(claims: StsClaims): string {
    const sealed: SealedClaims = {
      k: claims.accessKeyId,
      s: claims.accessKeySecret,
      a: claims.accountId,
      e: claims.expiresAt,
    };
    return this.#box.seal(JSON.stringify(sealed));
  }

  /** The claims of an authentic token; undefined for anything this installation did not seal. */
  open(token: string): StsClaims | undefined {
    let value: unknown;
    try {
      value = JSON.parse(this.#box.open(token));
    } catch {
      return undefined;
    }
    if (!isSealedClaims(value)) return undefined;
    return { accessKeyId: value.k, accessKeySecret: value.s, accountId: value.a, expiresAt: value.e };
  }

  /**
   * Checks the token a request brings for `accessKeyId` (absent or empty = none). Malformed before
   * mismatched before expired: a token that is not ours says nothing about keys or time.
   */
  check(accessKeyId: string, token: string | undefined, now: number): StsClaims | StsProblem {
    if (!token) return 'missing';
    const claims = this.open(token);
    if (!claims) return 'malformed';
    if (claims.accessKeyId !== accessKeyId) return 'mismatch';
    if (now >= claims.expiresAt) return 'expired';
    return claims;
  }
}

import { randomBytes } from 'node:crypto';
import { MAGIC_COOKIE } from './via.js';

/**
 * Random identifiers: Via branches (§8.1.1.7), tags (§19.3) and Call-IDs (§8.1.1.4). Random bytes
 * are drawn in blocks so that a call set-up does not pay for a syscall per identifier.
 */

const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const s = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return s;
}

export function newBranch(): string {
  return MAGIC_COOKIE + randomHex(10);
}

export function newTag(): string {
  return randomHex(6);
}

export function newCallId(): string {
  return randomHex(12);
}

/** A fresh client nonce for digest authentication (RFC 7616 §3.4). */
export function newCnonce(): string {
  return randomHex(12);
}

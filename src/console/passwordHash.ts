/**
 * Console passwords, hashed with scrypt (memory-hard, in node:crypto): `scrypt$N$r$p$salt$hash`,
 * base64url. The parameters travel with each hash, so raising them later keeps old hashes valid.
 * N = 2^16, r = 8 is 64 MiB and ~160 ms per hash on the reference 2-core machine; it runs on the
 * libuv pool (async scrypt), never on the event loop.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 1 << 16;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether `password` is the one `stored` was made from; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !key) return false;
  const params = [Number(n), Number(r), Number(p)] as const;
  if (!params.every((v) => Number.isInteger(v) && v > 0) || params[0] > 1 << 20) return false;
  const want = Buffer.from(key, 'base64url');
  const got = await derive(password, Buffer.from(salt, 'base64url'), ...params);
  return got.length === want.length && timingSafeEqual(got, want);
}

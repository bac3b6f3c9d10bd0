/**
 * The console's access token: a random secret in `<dataDir>/console.token` (mode 0600), made on
 * first use. Whoever can read the data directory (the operator, the `smartcall` CLI on this
 * machine) can watch calls; nobody else can.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function consoleToken(dataDir: string): string {
  const file = join(dataDir, 'console.token');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, randomBytes(24).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readFileSync(file, 'utf8').trim();
}

export function tokenMatches(expected: string, header: string | undefined): boolean {
  const given = Buffer.from((header ?? '').replace(/^Bearer\s+/i, ''));
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}

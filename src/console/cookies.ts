/** The console's cookies: parsed from the Cookie header, written scoped to `/console`. */

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || out.has(name)) continue;
    try {
      out.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // A cookie we did not write (bad escapes): ignored.
    }
  }
  return out;
}

export interface CookieOptions {
  maxAgeS?: number;
  /** Readable by scripts: false for everything but the language choice. */
  httpOnly?: boolean;
}

export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/console', 'SameSite=Strict'];
  if (options.maxAgeS !== undefined) parts.push(`Max-Age=${options.maxAgeS}`);
  if (options.httpOnly !== false) parts.push('HttpOnly');
  return parts.join('; ');
}

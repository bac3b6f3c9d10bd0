/**
 * Character-level helpers for the RFC 3261 §25 grammar: tokens, quoted strings, linear white space
 * and comma lists. Everything here works on already-unfolded header values (the parser replaces
 * CRLF + WSP with a space, §7.3.1) and never throws: malformed input yields `undefined` or `-1`.
 */

const TOKEN_CHARS = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~") {
  TOKEN_CHARS[c.charCodeAt(0)] = 1;
}

export function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN_CHARS[code] === 1;
}

/** `token` of §25.1: one or more token characters. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

export function isWsp(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

export function skipWsp(s: string, i: number): number {
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}

/** Index just after the token starting at `i` (== i when there is none). */
export function scanToken(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Index just after the closing quote of the quoted-string opening at `i` (which must be `"`),
 * or -1 when it is unterminated. quoted-pair (§25.1) escapes any octet but CR and LF.
 */
export function scanQuoted(s: string, i: number): number {
  let j = i + 1;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 0x5c) {
      const next = s.charCodeAt(j + 1);
      if (Number.isNaN(next) || next === 0x0d || next === 0x0a) return -1;
      j += 2;
      continue;
    }
    if (c === 0x22) return j + 1;
    if (c === 0x0d || c === 0x0a) return -1;
    j++;
  }
  return -1;
}

/** The content of a quoted string (with quotes) with quoted-pairs resolved. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 0x22 || s.charCodeAt(s.length - 1) !== 0x22) return s;
  const inner = s.slice(1, -1);
  return inner.includes('\\') ? inner.replace(/\\(.)/gs, '$1') : inner;
}

/** Wraps a value in double quotes, escaping `"` and `\`. */
export function quote(s: string): string {
  return '"' + s.replace(/(["\\])/g, '\\$1') + '"';
}

/**
 * Splits a header value at top-level commas (outside quoted strings and `<...>`), as allowed for
 * list headers by §7.3.1. Elements are trimmed; empty elements are kept so that callers can decide
 * whether `a,,b` is acceptable. Returns undefined for an unterminated quote or angle bracket.
 */
export function splitTopLevel(value: string, separator = 0x2c): string[] | undefined {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < value.length) {
    const c = value.charCodeAt(i);
    if (c === 0x22) {
      const end = scanQuoted(value, i);
      if (end < 0) return undefined;
      i = end;
      continue;
    }
    if (c === 0x3c) {
      const end = value.indexOf('>', i + 1);
      if (end < 0) return undefined;
      i = end + 1;
      continue;
    }
    if (c === separator) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
    i++;
  }
  out.push(value.slice(start).trim());
  return out;
}

/** Parses `1*DIGIT` into a number no larger than `max`; undefined when not a plain decimal. */
export function parseDecimal(s: string, max: number): number | undefined {
  if (s.length === 0 || s.length > 16) return undefined;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n <= max ? n : undefined;
}

/** True when the string contains SP, HTAB, CR, LF or another control character. */
export function hasWhitespaceOrControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return false;
}

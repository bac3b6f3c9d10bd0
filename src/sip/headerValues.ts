import { parseParams } from './params.js';
import { isToken, parseDecimal, scanToken, skipWsp, splitTopLevel } from './syntax.js';

/** CSeq (§20.16): sequence number and method. */
export interface CSeq {
  seq: number;
  method: string;
}

/** Largest CSeq number: it must fit a 32-bit unsigned integer (§8.1.1.5). */
export const MAX_CSEQ = 2 ** 32 - 1;

export function parseCSeq(value: string): CSeq | undefined {
  const s = value.trim();
  const end = scanDigits(s, 0);
  if (end === 0) return undefined;
  const seq = parseDecimal(s.slice(0, end), MAX_CSEQ);
  if (seq === undefined) return undefined;
  const m = skipWsp(s, end);
  if (m === end) return undefined;
  const method = s.slice(m);
  return isToken(method) ? { seq, method } : undefined;
}

function scanDigits(s: string, i: number): number {
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  return i;
}

/** Max-Forwards (§20.22): 0-255. */
export function parseMaxForwards(value: string): number | undefined {
  return parseDecimal(value.trim(), 255);
}

/** Content-Length (§20.14), bounded by the largest message we accept. */
export function parseContentLength(value: string, max: number): number | undefined {
  return parseDecimal(value.trim(), max);
}

/** The media type of Content-Type / Accept elements, lower-cased, without parameters. */
export function mediaType(value: string): string {
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi))
    .trim()
    .toLowerCase()
    .replace(/\s*\/\s*/, '/');
}

/** A comma list of tokens (Supported, Require, Allow, ...); undefined when an element is not a token. */
export function parseTokenList(values: readonly string[]): string[] | undefined {
  const out: string[] = [];
  for (const v of values) {
    const parts = splitTopLevel(v);
    if (!parts) return undefined;
    for (const p of parts) {
      if (p.length === 0) continue;
      if (!isToken(p)) return undefined;
      out.push(p);
    }
  }
  return out;
}

/** Session-Expires (RFC 4028 §4): interval in seconds and who refreshes. */
export interface SessionExpires {
  seconds: number;
  refresher: 'uac' | 'uas' | undefined;
}

export function parseSessionExpires(value: string): SessionExpires | undefined {
  const s = value.trim();
  const end = scanDigits(s, 0);
  const seconds = parseDecimal(s.slice(0, end), MAX_CSEQ);
  if (seconds === undefined || seconds === 0) return undefined;
  const params = parseParams(s, end);
  if (!params) return undefined;
  const r = params.get('refresher');
  const refresher = typeof r === 'string' ? r.toLowerCase() : undefined;
  if (refresher !== undefined && refresher !== 'uac' && refresher !== 'uas') return undefined;
  return { seconds, refresher };
}

export function formatSessionExpires(se: SessionExpires): string {
  return se.refresher ? `${se.seconds};refresher=${se.refresher}` : String(se.seconds);
}

/** Min-SE (RFC 4028 §5): delta-seconds with optional generic parameters. */
export function parseMinSE(value: string): number | undefined {
  const s = value.trim();
  const end = scanDigits(s, 0);
  const seconds = parseDecimal(s.slice(0, end), MAX_CSEQ);
  if (seconds === undefined) return undefined;
  return parseParams(s, end) ? seconds : undefined;
}

/** rfc1123-date in GMT (§20.17), e.g. `Sat, 13 Nov 2010 23:29:00 GMT`. */
const RFC1123 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

export function isValidSipDate(value: string): boolean {
  return RFC1123.test(value.trim());
}

/** Token at the start of a value (e.g. the scheme of an Authorization header). */
export function leadingToken(value: string): string {
  const s = value.trimStart();
  return s.slice(0, scanToken(s, 0));
}

import { Params, parseParams } from './params.js';
import { parseUri, type Uri } from './sipUri.js';
import { isTokenChar, isWsp, quote, scanQuoted, skipWsp, unquote } from './syntax.js';

/**
 * `name-addr / addr-spec` followed by header parameters (RFC 3261 §20.10, §25.1): the value of
 * From, To, Contact, Route, Record-Route and Reply-To.
 *
 *   "Display Name" <sip:user@host;uri-param>;header-param=value
 *
 * In the addr-spec form (no angle brackets) everything after the first `;` is a header parameter,
 * and the URI may not contain `,`, `?` or `;` (§20).
 */
export class NameAddr {
  displayName: string | undefined;
  uri: Uri;
  params: Params;

  constructor(uri: Uri, params = new Params(), displayName?: string) {
    this.uri = uri;
    this.params = params;
    this.displayName = displayName;
  }

  get tag(): string | undefined {
    const t = this.params.get('tag');
    return typeof t === 'string' ? t : undefined;
  }

  set tag(value: string | undefined) {
    if (value === undefined) this.params.delete('tag');
    else this.params.set('tag', value);
  }

  clone(): NameAddr {
    return new NameAddr(this.uri, this.params.clone(), this.displayName);
  }

  toString(): string {
    const name = this.displayName ? quote(this.displayName) + ' ' : '';
    return name + '<' + this.uri.toString() + '>' + this.params.toString();
  }
}

function isDisplayNameWords(s: string): boolean {
  // *(token LWS): tokens separated by white space
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isTokenChar(c) && !isWsp(c)) return false;
  }
  return true;
}

/** Parses one name-addr/addr-spec with parameters; undefined when malformed. */
export function parseNameAddr(value: string): NameAddr | undefined {
  const s = value.trim();
  if (s.length === 0) return undefined;
  let i = 0;
  let displayName: string | undefined;
  let uriText: string;
  let rest: number;
  if (s.charCodeAt(0) === 0x22) {
    const end = scanQuoted(s, 0);
    if (end < 0) return undefined;
    displayName = unquote(s.slice(0, end));
    i = skipWsp(s, end);
    if (s.charCodeAt(i) !== 0x3c) return undefined;
  } else {
    const lt = s.indexOf('<');
    if (lt >= 0) {
      const words = s.slice(0, lt).trim();
      if (!isDisplayNameWords(words)) return undefined;
      if (words.length > 0) displayName = words;
      i = lt;
    }
  }
  if (s.charCodeAt(i) === 0x3c) {
    const gt = s.indexOf('>', i + 1);
    if (gt < 0) return undefined;
    uriText = s.slice(i + 1, gt);
    rest = gt + 1;
  } else {
    // addr-spec: the URI runs to the first ';' and must not contain '?' or ','
    const semi = s.indexOf(';');
    uriText = (semi < 0 ? s : s.slice(0, semi)).trimEnd();
    if (uriText.includes('?') || uriText.includes(',')) return undefined;
    rest = semi < 0 ? s.length : semi;
  }
  const uri = parseUri(uriText);
  if (!uri) return undefined;
  const params = parseParams(s, rest);
  if (!params) return undefined;
  return new NameAddr(uri, params, displayName);
}

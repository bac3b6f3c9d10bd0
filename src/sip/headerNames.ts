/**
 * Header names: compact forms (RFC 3261 §7.3.3 and the extensions that define one), canonical
 * spelling for serialization, and which headers may carry comma-separated lists.
 */

const COMPACT: Record<string, string> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

const CANONICAL: Record<string, string> = {
  'accept-contact': 'Accept-Contact',
  'allow-events': 'Allow-Events',
  'call-id': 'Call-ID',
  'content-encoding': 'Content-Encoding',
  'content-length': 'Content-Length',
  'content-type': 'Content-Type',
  'content-disposition': 'Content-Disposition',
  cseq: 'CSeq',
  from: 'From',
  to: 'To',
  via: 'Via',
  contact: 'Contact',
  route: 'Route',
  'record-route': 'Record-Route',
  'max-forwards': 'Max-Forwards',
  'www-authenticate': 'WWW-Authenticate',
  'proxy-authenticate': 'Proxy-Authenticate',
  authorization: 'Authorization',
  'proxy-authorization': 'Proxy-Authorization',
  'authentication-info': 'Authentication-Info',
  'session-expires': 'Session-Expires',
  'min-se': 'Min-SE',
  supported: 'Supported',
  require: 'Require',
  'proxy-require': 'Proxy-Require',
  unsupported: 'Unsupported',
  allow: 'Allow',
  accept: 'Accept',
  'user-agent': 'User-Agent',
  server: 'Server',
  subject: 'Subject',
  expires: 'Expires',
  'retry-after': 'Retry-After',
  warning: 'Warning',
  reason: 'Reason',
  rseq: 'RSeq',
  rack: 'RAck',
  event: 'Event',
  'refer-to': 'Refer-To',
  'referred-by': 'Referred-By',
  'p-asserted-identity': 'P-Asserted-Identity',
  'p-preferred-identity': 'P-Preferred-Identity',
  identity: 'Identity',
  'identity-info': 'Identity-Info',
  'reject-contact': 'Reject-Contact',
  'request-disposition': 'Request-Disposition',
  date: 'Date',
  'min-expires': 'Min-Expires',
  'error-info': 'Error-Info',
  'alert-info': 'Alert-Info',
  'call-info': 'Call-Info',
};

/** Headers whose values are comma-separated lists (§7.3.1); the rest are never split. */
const LIST_HEADERS = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'allow',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-encoding',
  'allow-events',
  'p-asserted-identity',
  'reason',
  'warning',
]);

/** Headers that must appear at most once (a second copy makes the message malformed: RFC 4475 §3.3.8/§3.3.9). */
export const SINGLE_VALUED = [
  'call-id',
  'cseq',
  'from',
  'to',
  'max-forwards',
  'content-length',
  'content-type',
];

/** The lookup key of a header: lower-case, compact form expanded. */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

/** The spelling used on the wire for a key; unknown headers keep the spelling they came with. */
export function canonicalName(key: string, fallback: string): string {
  return CANONICAL[key] ?? fallback;
}

export function isListHeader(key: string): boolean {
  return LIST_HEADERS.has(key);
}

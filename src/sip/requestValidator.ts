import { isValidSipDate, mediaType } from './headerValues.js';
import type { SipRequest } from './sipMessage.js';
import { isSipUri } from './sipUri.js';

/** What this UA can do, for the checks of RFC 3261 §8.2 (answered in that order). */
export interface UasCapabilities {
  methods: readonly string[];
  /** Option tags we support (Require with anything else is answered 420). */
  extensions: readonly string[];
  /** Body types we accept. */
  accept: readonly string[];
}

export interface Rejection {
  status: number;
  reason?: string;
  headers?: Record<string, string>;
}

const ACCEPTS_SDP = new Set(['application/sdp', 'application/*', '*/*']);

/**
 * Checks a parsed request before a UAS acts on it (§8.2.1-§8.2.3). Returns the rejection to send,
 * or undefined when the request may proceed. ACK is never answered, so it is never rejected here.
 */
export function validateRequest(request: SipRequest, caps: UasCapabilities): Rejection | undefined {
  if (request.method === 'ACK') return undefined;
  // Malformed header fields first (§8.2: a malformed request is answered 400 whatever its method).
  const date = request.headers.get('date');
  if (date !== undefined && !isValidSipDate(date)) return { status: 400, reason: 'Malformed Date header' };
  if (request.headers.has('contact') && request.contacts() === undefined) {
    return { status: 400, reason: 'Malformed Contact header' };
  }
  if (request.headers.has('record-route') && request.recordRoutes() === undefined) {
    return { status: 400, reason: 'Malformed Record-Route header' };
  }
  if (!caps.methods.includes(request.method)) {
    return { status: 405, headers: { Allow: caps.methods.join(', ') } };
  }
  if (!isSipUri(request.uri)) return { status: 416 };
  // Headers are not allowed in a Request-URI (§19.1.1 table 1, RFC 4475 §3.1.2.11).
  if (request.uri.headers !== undefined) return { status: 400, reason: 'Headers Not Allowed In Request-URI' };
  if (request.method !== 'CANCEL') {
    const required = request.require();
    if (required === undefined) return { status: 400, reason: 'Malformed Require header' };
    const unsupported = required.filter((tag) => !caps.extensions.includes(tag));
    if (unsupported.length > 0) return { status: 420, headers: { Unsupported: unsupported.join(', ') } };
  }
  if (request.body.length > 0) {
    const type = request.contentType();
    if (type === undefined || !caps.accept.includes(type)) {
      return { status: 415, headers: { Accept: caps.accept.join(', ') } };
    }
  }
  if (request.method === 'INVITE' && request.headers.has('accept')) {
    const accepted = (request.headers.getList('accept') ?? []).map(mediaType);
    if (accepted.length > 0 && !accepted.some((t) => ACCEPTS_SDP.has(t))) {
      return { status: 406, headers: { Accept: caps.accept.join(', ') } };
    }
  }
  return undefined;
}

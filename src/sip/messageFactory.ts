import { SipHeaders } from './sipHeaders.js';
import { SipRequest, SipResponse } from './sipMessage.js';
import { reasonPhrase } from './statusReasons.js';

export interface ResponseOptions {
  reason?: string;
  /** To tag to add when the request's To has none (§8.2.6.2; not for 100 Trying). */
  toTag?: string;
  headers?: Record<string, string | readonly string[]>;
  body?: Buffer | string;
  contentType?: string;
}

/**
 * Builds a response to a request (§8.2.6): Via, From, Call-ID and CSeq copied, To copied with a tag
 * added when given. Record-Route is copied for dialog-creating 2xx/1xx by the caller, not here.
 */
export function createResponse(
  request: SipRequest,
  status: number,
  options: ResponseOptions = {},
): SipResponse {
  const headers = new SipHeaders();
  headers.set('Via', request.headers.getAll('via'));
  headers.set('From', request.headers.getAll('from'));
  let to = request.headers.get('to') ?? '';
  if (options.toTag && status > 100 && request.tryTo()?.tag === undefined) to += ';tag=' + options.toTag;
  headers.set('To', to);
  headers.set('Call-ID', request.headers.getAll('call-id'));
  headers.set('CSeq', request.headers.getAll('cseq'));
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
  let body: Buffer | undefined;
  if (options.body !== undefined && options.body.length > 0) {
    body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
    headers.set('Content-Type', options.contentType ?? 'application/sdp');
  }
  return new SipResponse(status, options.reason ?? reasonPhrase(status), headers, body);
}

/** A response from the raw headers kept by the parser for a request it could not fully read. */
export function createRawResponse(status: number, reason: string, headers: SipHeaders): SipResponse {
  return new SipResponse(status, reason, headers.clone());
}

/**
 * A CANCEL for an INVITE we sent (§9.1): same Request-URI, Call-ID, From, To (without tag), CSeq
 * number and the INVITE's single Via, so the peer matches it to the INVITE transaction; same Route.
 */
export function createCancel(invite: SipRequest, extraHeaders: Record<string, string> = {}): SipRequest {
  const headers = new SipHeaders();
  headers.set('Via', invite.topVia.toString());
  headers.set('Max-Forwards', '70');
  headers.set('From', invite.headers.getAll('from'));
  headers.set('To', invite.headers.getAll('to'));
  headers.set('Call-ID', invite.headers.getAll('call-id'));
  headers.set('CSeq', `${invite.cseq.seq} CANCEL`);
  const routes = invite.headers.getAll('route');
  if (routes.length > 0) headers.set('Route', routes);
  for (const [name, value] of Object.entries(extraHeaders)) headers.set(name, value);
  return new SipRequest('CANCEL', invite.uri, headers);
}

import { canonicalName, SINGLE_VALUED } from './headerNames.js';
import { parseContentLength } from './headerValues.js';
import { SipHeaders } from './sipHeaders.js';
import { type SipMessage, SipRequest, SipResponse } from './sipMessage.js';
import { parseUri } from './sipUri.js';
import { isToken, isWsp } from './syntax.js';

/**
 * Parses one SIP message (RFC 3261 §7) from bytes. Never throws: every malformed input becomes a
 * `SipParseError` value. Requests that can still be answered carry a `reply` (400 or 505) with the
 * headers a response needs (§8.2.6: Via, From, To, Call-ID, CSeq copied as received).
 */

export interface ParseLimits {
  /** Largest message accepted, in bytes (datagrams above it are dropped before parsing). */
  maxMessageBytes: number;
  /** Most header lines accepted. */
  maxHeaders: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxMessageBytes: 65_535, maxHeaders: 256 };

export type ParseErrorCode =
  | 'empty'
  | 'too-large'
  | 'too-many-headers'
  | 'no-header-end'
  | 'bad-start-line'
  | 'bad-version'
  | 'bad-status'
  | 'bad-header-line'
  | 'bad-header'
  | 'missing-header'
  | 'duplicate-header'
  | 'bad-content-length'
  | 'body-truncated'
  | 'cseq-method-mismatch';

export interface SipParseError {
  code: ParseErrorCode;
  detail: string;
  /** Present when the input was a request we can answer. */
  reply?: { status: number; reason: string; headers: SipHeaders };
}

export type ParseOutcome = { ok: true; message: SipMessage } | { ok: false; error: SipParseError };

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/** Where the header section ends: [index of the blank line, index of the body]; undefined when absent. */
export function findHeaderEnd(buf: Buffer, from: number): [number, number] | undefined {
  const crlf = buf.indexOf(CRLFCRLF, from);
  const lf = buf.indexOf(LFLF, from);
  if (crlf < 0 && lf < 0) return undefined;
  if (lf >= 0 && (crlf < 0 || lf < crlf)) return [lf, lf + 2];
  return [crlf, crlf + 4];
}

/** Index of the first byte that is not CR or LF (§7.5: empty lines before the start line are ignored). */
export function skipLeadingNewlines(buf: Buffer, from = 0): number {
  let i = from;
  while (i < buf.length && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  return i;
}

function fail(code: ParseErrorCode, detail: string, reply?: SipParseError['reply']): ParseOutcome {
  return reply ? { ok: false, error: { code, detail, reply } } : { ok: false, error: { code, detail } };
}

/**
 * Parses a complete message. For UDP (`stream: false`) the datagram may carry bytes after the
 * body, which are ignored (§18.3), and Content-Length may be absent (the body is the rest).
 * For streams the framer has already cut exactly one message, and Content-Length is mandatory.
 */
export function parseSipMessage(
  buf: Buffer,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
  stream = false,
): ParseOutcome {
  if (buf.length > limits.maxMessageBytes) return fail('too-large', `${buf.length} bytes`);
  const start = skipLeadingNewlines(buf);
  if (start >= buf.length) return fail('empty', 'no start line');
  const end = findHeaderEnd(buf, start);
  if (!end) return fail('no-header-end', 'no empty line after the headers');
  const head = buf.toString('utf8', start, end[0]);
  const lines = head.split(/\r?\n/);
  const startLine = lines[0]!;
  const isResponse = /^SIP\//i.test(startLine);

  // Header lines, with folded continuation lines joined (§7.3.1).
  const headers = new SipHeaders();
  let count = 0;
  let pendingName: string | undefined;
  let pendingValue = '';
  let headerError: string | undefined;
  for (let i = 1; i <= lines.length; i++) {
    const line = lines[i];
    if (line !== undefined && line.length > 0 && isWsp(line.charCodeAt(0))) {
      if (pendingName === undefined) {
        headerError ??= 'continuation line before any header';
        continue;
      }
      pendingValue += ' ' + line.trim();
      continue;
    }
    if (pendingName !== undefined) {
      headers.append(pendingName, pendingValue.trim());
      pendingName = undefined;
    }
    if (line === undefined) break;
    if (line.length === 0) continue;
    if (++count > limits.maxHeaders) return fail('too-many-headers', `more than ${limits.maxHeaders}`);
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trimEnd();
    if (!isToken(name)) {
      headerError ??= `malformed header line ${JSON.stringify(line.slice(0, 40))}`;
      continue;
    }
    pendingName = name;
    pendingValue = line.slice(colon + 1);
  }

  const canReply = !isResponse && headers.has('via');
  const reply = (status: number, reason: string) =>
    canReply ? { status, reason, headers: replyHeaders(headers) } : undefined;
  if (headerError) return fail('bad-header-line', headerError, reply(400, 'Bad Request'));

  let message: SipMessage;
  if (isResponse) {
    const m = /^SIP\/2\.0 (\d{3})(?: (.*))?$/i.exec(startLine);
    if (!m) {
      return /^SIP\/2\.0 /i.test(startLine)
        ? fail('bad-status', JSON.stringify(startLine.slice(0, 60)))
        : fail('bad-version', JSON.stringify(startLine.slice(0, 60)));
    }
    const status = Number(m[1]);
    if (status < 100 || status > 699) return fail('bad-status', String(status));
    message = new SipResponse(status, m[2] ?? '', headers);
  } else {
    const parts = startLine.split(' ');
    if (parts.length !== 3 || !isToken(parts[0]!) || parts[1]!.length === 0) {
      return fail('bad-start-line', JSON.stringify(startLine.slice(0, 60)), reply(400, 'Bad Request Line'));
    }
    const version = parts[2]!;
    if (!/^SIP\/\d+\.\d+$/i.test(version)) {
      return fail('bad-start-line', JSON.stringify(startLine.slice(0, 60)), reply(400, 'Bad Request Line'));
    }
    if (version.toUpperCase() !== 'SIP/2.0') {
      return fail('bad-version', version, reply(505, 'Version Not Supported'));
    }
    const uri = parseUri(parts[1]!);
    if (!uri) return fail('bad-start-line', 'malformed Request-URI', reply(400, 'Bad Request-URI'));
    message = new SipRequest(parts[0]!, uri, headers);
  }

  // Core headers (§8.1.1): every later layer relies on them.
  for (const key of SINGLE_VALUED) {
    if (headers.count(key) > 1)
      return fail('duplicate-header', key, reply(400, `Duplicate ${canonicalName(key, key)} header`));
  }
  for (const key of ['via', 'from', 'to', 'call-id', 'cseq']) {
    if (!headers.has(key))
      return fail('missing-header', key, reply(400, `Missing ${canonicalName(key, key)} header`));
  }
  if (!message.tryVias()) return fail('bad-header', 'via', reply(400, 'Malformed Via header'));
  if (!message.tryFrom()) return fail('bad-header', 'from', reply(400, 'Malformed From header'));
  if (!message.tryTo()) return fail('bad-header', 'to', reply(400, 'Malformed To header'));
  if (!message.tryCallId()) return fail('bad-header', 'call-id', reply(400, 'Malformed Call-ID header'));
  const cseq = message.tryCSeq();
  if (!cseq) return fail('bad-header', 'cseq', reply(400, 'Malformed CSeq header'));
  if (message.kind === 'request' && cseq.method !== message.method) {
    return fail(
      'cseq-method-mismatch',
      `${message.method} vs ${cseq.method}`,
      reply(400, 'CSeq Method Mismatch'),
    );
  }
  if (headers.has('max-forwards') && message.maxForwards() === undefined) {
    return fail('bad-header', 'max-forwards', reply(400, 'Malformed Max-Forwards header'));
  }

  // Body (§18.3, §20.14).
  const available = buf.length - end[1];
  const clValue = headers.get('content-length');
  let length: number;
  if (clValue === undefined) {
    if (stream)
      return fail('bad-content-length', 'missing on a stream', reply(400, 'Missing Content-Length'));
    length = available;
  } else {
    const cl = parseContentLength(clValue, limits.maxMessageBytes);
    if (cl === undefined) {
      return fail('bad-content-length', JSON.stringify(clValue), reply(400, 'Malformed Content-Length'));
    }
    if (cl > available) {
      return fail(
        'body-truncated',
        `${cl} announced, ${available} present`,
        reply(400, 'Content-Length Mismatch'),
      );
    }
    length = cl;
  }
  message.body = length === 0 ? Buffer.alloc(0) : buf.subarray(end[1], end[1] + length);
  return { ok: true, message };
}

/** The headers a 4xx/5xx to an unparseable request copies (§8.2.6.2), raw. */
function replyHeaders(src: SipHeaders): SipHeaders {
  const h = new SipHeaders();
  for (const key of ['via', 'from', 'to', 'call-id', 'cseq']) {
    const values = src.getAll(key);
    if (values.length > 0) h.set(key, values);
  }
  return h;
}

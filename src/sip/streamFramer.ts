import { findHeaderEnd, skipLeadingNewlines } from './messageParser.js';

export type FramingError = 'too-large' | 'missing-content-length' | 'bad-content-length';

const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t]*$/im;

/**
 * Cuts a byte stream (TCP, later TLS) into SIP messages using Content-Length (§18.3): the header
 * section ends at the first empty line and the body is exactly Content-Length bytes. CRLF keep-alives
 * between messages (RFC 5626 §3.5.1) are skipped. A stream that announces no or an oversized length
 * cannot be re-synchronised, so `push` reports a fatal error and the owner closes the connection.
 */
export class StreamFramer {
  readonly #maxBytes: number;
  #pending: Buffer = Buffer.alloc(0);

  constructor(maxMessageBytes: number) {
    this.#maxBytes = maxMessageBytes;
  }

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.#pending.length;
  }

  /**
   * Adds bytes and returns every complete message, or a fatal framing error. Messages are views
   * into an internal buffer that is not reused, so they stay valid.
   */
  push(data: Buffer): { messages: Buffer[]; error?: FramingError } {
    let buf = this.#pending.length === 0 ? data : Buffer.concat([this.#pending, data]);
    const messages: Buffer[] = [];
    for (;;) {
      const start = skipLeadingNewlines(buf);
      if (start > 0) buf = buf.subarray(start);
      if (buf.length === 0) break;
      const end = findHeaderEnd(buf, 0);
      if (!end) {
        if (buf.length > this.#maxBytes) return this.#fatal(messages, 'too-large');
        break;
      }
      const m = CONTENT_LENGTH.exec(buf.toString('latin1', 0, end[0]));
      if (!m) return this.#fatal(messages, 'missing-content-length');
      if (!/^\d{1,9}$/.test(m[1]!)) return this.#fatal(messages, 'bad-content-length');
      const total = end[1] + Number(m[1]);
      if (total > this.#maxBytes) return this.#fatal(messages, 'too-large');
      if (buf.length < total) break;
      messages.push(buf.subarray(0, total));
      buf = buf.subarray(total);
    }
    this.#pending = buf.length === 0 ? Buffer.alloc(0) : buf;
    return { messages };
  }

  #fatal(messages: Buffer[], error: FramingError): { messages: Buffer[]; error: FramingError } {
    this.#pending = Buffer.alloc(0);
    return { messages, error };
  }
}

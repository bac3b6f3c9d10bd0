import type { SipMessage } from './sipMessage.js';

/**
 * Serializes a message to wire bytes (§7): start line, Via lines first (some peers expect them
 * on top), the other headers in insertion order, then a Content-Length computed from the body —
 * never the stale value of a header — and the body.
 */
export function serializeMessage(message: SipMessage): Buffer {
  let head =
    message.kind === 'request'
      ? `${message.method} ${message.uri.toString()} SIP/2.0\r\n`
      : `SIP/2.0 ${message.status} ${message.reason}\r\n`;
  for (const value of message.headers.getAll('via')) head += 'Via: ' + value + '\r\n';
  for (const [name, value] of message.headers.lines()) {
    if (name === 'Via' || name === 'Content-Length') continue;
    head += name + ': ' + value + '\r\n';
  }
  head += 'Content-Length: ' + message.body.length + '\r\n\r\n';
  const headLength = Buffer.byteLength(head);
  const out = Buffer.allocUnsafe(headLength + message.body.length);
  out.write(head, 0, 'utf8');
  message.body.copy(out, headLength);
  return out;
}

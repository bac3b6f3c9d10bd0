/**
 * RFC 3986 percent-encoding as both Alibaba signature schemes use it (spec §8.1), and the decoder
 * for what arrives on the wire. The server never signs the wire string: it decodes, then re-encodes
 * with `percentEncode`, because SDKs differ in which characters they escape (spec §2.1).
 */

const NEEDS_EXTRA_ESCAPE = /[!'()*]/g;
const UNRESERVED_ONLY = /^[A-Za-z0-9\-_.~]*$/;

/** UTF-8 bytes, keeping only A-Z a-z 0-9 - _ . ~ ; upper-case hex; space is %20, never +. */
export function percentEncode(value: string): string {
  if (UNRESERVED_ONLY.test(value)) return value; // most names and many values: nothing to do
  return encodeURIComponent(value).replace(
    NEEDS_EXTRA_ESCAPE,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

export class MalformedEncodingError extends Error {
  override name = 'MalformedEncodingError';
}

function decodeComponent(raw: string): string {
  if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) return raw;
  try {
    return decodeURIComponent(raw.replace(/\+/g, '%20'));
  } catch {
    throw new MalformedEncodingError(`malformed percent-encoding in "${raw.slice(0, 64)}"`);
  }
}

/**
 * Parses `a=1&b=x%20y` (a query string or a form body) into name/value pairs in wire order.
 * `+` is a space and `%XX` a UTF-8 byte; a name without `=` gets the empty value.
 */
export function parseUrlEncoded(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  if (!text) return pairs;
  for (const part of text.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(part.slice(eq + 1));
    pairs.push([name, value]);
  }
  return pairs;
}

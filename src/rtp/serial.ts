/**
 * Serial-number arithmetic for RTP's wrapping counters (RFC 1982 style, as RFC 3550 §A.1 uses it):
 * the 16-bit sequence number wraps after 65535 and the 32-bit timestamp after 2^32 - 1, so "newer"
 * means "ahead by less than half the number space".
 */

/** Signed distance a - b between two 16-bit sequence numbers, in [-32768, 32767]. */
export function seqDelta(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}

/** Signed distance a - b between two 32-bit RTP timestamps. */
export function tsDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/** Adds to a 32-bit RTP timestamp, wrapping; the result is an unsigned 32-bit number. */
export function tsAdd(ts: number, n: number): number {
  return (ts + n) >>> 0;
}

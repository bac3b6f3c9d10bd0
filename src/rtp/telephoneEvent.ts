/**
 * The telephone-event payload (RFC 4733 §2.3) and the DTMF event codes (§3.2).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     event     |E|R| volume    |          duration             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * `duration` counts timestamp units (8 kHz) from the event's start, which is the RTP timestamp
 * shared by every packet of the event; `volume` is in -dBm0 (0–63).
 */

export const TELEPHONE_EVENT_BYTES = 4;

/** DTMF digits in event-code order: 0–9 are themselves, * is 10, # is 11, A–D are 12–15. */
const DIGITS = '0123456789*#ABCD';

/** Event code of a DTMF digit (case-insensitive for A–D), or -1 when it is not one. */
export function dtmfEventCode(digit: string): number {
  return digit.length === 1 ? DIGITS.indexOf(digit.toUpperCase()) : -1;
}

/** The digit for a DTMF event code 0–15, or undefined for other events (§3.2 only defines 0–15). */
export function dtmfDigit(event: number): string | undefined {
  return event >= 0 && event < 16 ? DIGITS[event] : undefined;
}

export function writeTelephoneEvent(
  out: Uint8Array,
  offset: number,
  event: number,
  end: boolean,
  volume: number,
  duration: number,
): void {
  out[offset] = event;
  out[offset + 1] = (end ? 0x80 : 0) | (volume & 0x3f);
  out[offset + 2] = (duration >>> 8) & 0xff;
  out[offset + 3] = duration & 0xff;
}

export function eventCodeAt(b: Uint8Array, offset: number): number {
  return b[offset]!;
}
export function eventEndAt(b: Uint8Array, offset: number): boolean {
  return (b[offset + 1]! & 0x80) !== 0;
}
export function eventVolumeAt(b: Uint8Array, offset: number): number {
  return b[offset + 1]! & 0x3f;
}
export function eventDurationAt(b: Uint8Array, offset: number): number {
  return (b[offset + 2]! << 8) | b[offset + 3]!;
}

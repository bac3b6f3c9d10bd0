/**
 * RTP packet view (RFC 3550 §5.1). Parsing wraps the received bytes without copying; setters write
 * straight into those bytes, so a received packet can be patched and re-sent. Building a packet
 * from fields goes through {@link writeRtpPacket} / {@link writeRtpHeader} into a caller-owned
 * (reused) buffer.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  header extension (X=1): profile (16) | length in words (16)  |
 * |                  extension data (length * 4 bytes)            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  payload ...                  |  padding (P=1), last byte = count |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */

export const RTP_VERSION = 2;
export const RTP_HEADER_BYTES = 12;

/** A parsed RTP packet: accessors read the wrapped bytes; nothing is copied. */
export class RtpPacket {
  #bytes: Uint8Array = EMPTY;
  #length = 0;
  #payloadOffset = 0;
  #payloadLength = 0;

  /** Wraps `bytes` (the whole datagram); null when they are not a well-formed RTP packet. */
  static parse(bytes: Uint8Array): RtpPacket | null {
    const packet = new RtpPacket();
    return packet.wrap(bytes) ? packet : null;
  }

  /**
   * Re-points this view at another datagram (the receive path keeps one view per session, so
   * parsing allocates nothing). False, leaving the view empty, when the bytes are not RTP.
   */
  wrap(bytes: Uint8Array, length = bytes.length): boolean {
    this.#bytes = EMPTY;
    this.#length = 0;
    if (length < RTP_HEADER_BYTES || length > bytes.length) return false;
    const b0 = bytes[0]!;
    if (b0 >> 6 !== RTP_VERSION) return false;
    let offset = RTP_HEADER_BYTES + (b0 & 0x0f) * 4;
    if (offset > length) return false;
    if (b0 & 0x10) {
      // §5.3.1: 16-bit profile-defined id, then the extension length in 32-bit words.
      if (offset + 4 > length) return false;
      offset += 4 + ((bytes[offset + 2]! << 8) | bytes[offset + 3]!) * 4;
      if (offset > length) return false;
    }
    let end = length;
    if (b0 & 0x20) {
      // §5.1: the last octet counts the padding octets, itself included; zero is invalid.
      const padding = bytes[length - 1]!;
      if (padding === 0 || offset + padding > length) return false;
      end -= padding;
    }
    this.#bytes = bytes;
    this.#length = length;
    this.#payloadOffset = offset;
    this.#payloadLength = end - offset;
    return true;
  }

  /** The wrapped bytes (the whole datagram). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }
  get length(): number {
    return this.#length;
  }
  get version(): number {
    return this.#bytes[0]! >> 6;
  }
  get padding(): boolean {
    return (this.#bytes[0]! & 0x20) !== 0;
  }
  /** Number of padding octets at the end (0 without the P bit). */
  get paddingLength(): number {
    return this.padding ? this.#bytes[this.#length - 1]! : 0;
  }
  get extension(): boolean {
    return (this.#bytes[0]! & 0x10) !== 0;
  }
  get csrcCount(): number {
    return this.#bytes[0]! & 0x0f;
  }
  get marker(): boolean {
    return (this.#bytes[1]! & 0x80) !== 0;
  }
  set marker(value: boolean) {
    this.#bytes[1] = (this.#bytes[1]! & 0x7f) | (value ? 0x80 : 0);
  }
  get payloadType(): number {
    return this.#bytes[1]! & 0x7f;
  }
  set payloadType(value: number) {
    this.#bytes[1] = (this.#bytes[1]! & 0x80) | (value & 0x7f);
  }
  get sequenceNumber(): number {
    return readU16(this.#bytes, 2);
  }
  set sequenceNumber(value: number) {
    writeU16(this.#bytes, 2, value);
  }
  get timestamp(): number {
    return readU32(this.#bytes, 4);
  }
  set timestamp(value: number) {
    writeU32(this.#bytes, 4, value);
  }
  get ssrc(): number {
    return readU32(this.#bytes, 8);
  }
  set ssrc(value: number) {
    writeU32(this.#bytes, 8, value);
  }
  csrc(index: number): number {
    if (index < 0 || index >= this.csrcCount) throw new RangeError(`no CSRC ${index}`);
    return readU32(this.#bytes, RTP_HEADER_BYTES + index * 4);
  }
  /** All CSRCs (allocates; not for the per-packet path). */
  get csrcs(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.csrcCount; i++) out.push(this.csrc(i));
    return out;
  }
  /** The header extension's profile id and data (a view), or null without the X bit. */
  get headerExtension(): { profile: number; data: Uint8Array } | null {
    if (!this.extension) return null;
    const at = RTP_HEADER_BYTES + this.csrcCount * 4;
    const words = readU16(this.#bytes, at + 2);
    return {
      profile: readU16(this.#bytes, at),
      data: this.#bytes.subarray(at + 4, at + 4 + words * 4),
    };
  }
  /** Offset of the payload inside {@link bytes}; with {@link payloadLength}, a copy-free read. */
  get payloadOffset(): number {
    return this.#payloadOffset;
  }
  get payloadLength(): number {
    return this.#payloadLength;
  }
  /** The payload as a view (allocates a view object; the hot path uses offset + length). */
  get payload(): Uint8Array {
    return this.#bytes.subarray(this.#payloadOffset, this.#payloadOffset + this.#payloadLength);
  }

  /** The header fields as a plain object (for tests, logs and {@link writeRtpPacket}). */
  fields(): RtpPacketFields {
    const ext = this.headerExtension;
    return {
      marker: this.marker,
      payloadType: this.payloadType,
      sequenceNumber: this.sequenceNumber,
      timestamp: this.timestamp,
      ssrc: this.ssrc,
      csrcs: this.csrcs,
      extension: ext ? { profile: ext.profile, data: Uint8Array.from(ext.data) } : undefined,
      paddingLength: this.paddingLength,
    };
  }
}

export interface RtpPacketFields {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs?: number[];
  /** Extension data length must be a multiple of 4 (§5.3.1). */
  extension?: { profile: number; data: Uint8Array } | undefined;
  /** Padding octets to append (P bit set when > 0); the last one holds the count. */
  paddingLength?: number;
}

/** Bytes {@link writeRtpPacket} needs for these fields and a payload of `payloadLength`. */
export function rtpPacketSize(fields: RtpPacketFields, payloadLength: number): number {
  const ext = fields.extension ? 4 + fields.extension.data.length : 0;
  return (
    RTP_HEADER_BYTES + (fields.csrcs?.length ?? 0) * 4 + ext + payloadLength + (fields.paddingLength ?? 0)
  );
}

/** Serializes a full packet into `out` at offset 0; returns the packet's length. */
export function writeRtpPacket(out: Uint8Array, fields: RtpPacketFields, payload: Uint8Array): number {
  const size = rtpPacketSize(fields, payload.length);
  if (size > out.length) throw new RangeError(`RTP packet needs ${size} bytes, buffer has ${out.length}`);
  const csrcs = fields.csrcs ?? [];
  if (csrcs.length > 15) throw new RangeError('at most 15 CSRCs');
  const padding = fields.paddingLength ?? 0;
  if (padding < 0 || padding > 255) throw new RangeError('padding must be 0..255 octets');
  const ext = fields.extension;
  if (ext && ext.data.length % 4 !== 0) throw new RangeError('extension data must be whole 32-bit words');
  writeRtpHeader(
    out,
    fields.payloadType,
    fields.marker,
    fields.sequenceNumber,
    fields.timestamp,
    fields.ssrc,
  );
  out[0] = (RTP_VERSION << 6) | (padding > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs.length;
  let at = RTP_HEADER_BYTES;
  for (const csrc of csrcs) {
    writeU32(out, at, csrc);
    at += 4;
  }
  if (ext) {
    writeU16(out, at, ext.profile);
    writeU16(out, at + 2, ext.data.length / 4);
    out.set(ext.data, at + 4);
    at += 4 + ext.data.length;
  }
  out.set(payload, at);
  at += payload.length;
  if (padding > 0) {
    out.fill(0, at, at + padding - 1);
    out[at + padding - 1] = padding;
    at += padding;
  }
  return at;
}

/**
 * Writes the fixed 12-byte header (no CSRC, extension or padding) at offset 0 — the send path's
 * only serialization step; the payload is encoded straight into `out` after it.
 */
export function writeRtpHeader(
  out: Uint8Array,
  payloadType: number,
  marker: boolean,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
): void {
  out[0] = RTP_VERSION << 6;
  out[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  writeU16(out, 2, sequenceNumber);
  writeU32(out, 4, timestamp);
  writeU32(out, 8, ssrc);
}

const EMPTY = new Uint8Array(0);

export function readU16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}
export function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
export function writeU16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}
export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/**
 * SRTP for RTP (RFC 3711) with the two SDES suites of RFC 4568 §6.2: AES_CM_128_HMAC_SHA1_80 and
 * AES_CM_128_HMAC_SHA1_32 — AES-128 in counter mode, HMAC-SHA1 tags of 10 or 4 bytes, key
 * derivation rate 0 (session keys derived once), no MKI. node:crypto does the AES and the HMAC.
 *
 * ```
 *  RTP header (authenticated, clear) | payload (encrypted) | auth tag (10 or 4 bytes)
 * ```
 *
 * SRTCP is not implemented: smartcall sends no RTCP and ignores what arrives (see rtcp.ts).
 *
 * Hot path: one reusable AES-ECB cipher per direction turns counter blocks into keystream (an
 * AES-CM block is the encryption of IV + block number, §4.1.1), so no cipher object is made per
 * packet; the HMAC needs one per packet (node:crypto cannot reset one).
 */
import { type Cipher, createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';

export const SRTP_SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const;
export type SrtpSuite = (typeof SRTP_SUITES)[number];

/** Master key (16) || master salt (14): the bytes of an SDES `inline:` key (RFC 4568 §6.2). */
export const SRTP_MASTER_BYTES = 30;
/** The longest tag any suite appends (room the send buffers keep). */
export const SRTP_MAX_TAG_BYTES = 10;

/** The keys of one call's SRTP, as SDES negotiated them: we send with ours, read with theirs. */
export interface SrtpKeys {
  suite: SrtpSuite;
  /** Our master key || salt (30 bytes), the one our SDP line carried. */
  localKey: Uint8Array;
  /** The far end's master key || salt (30 bytes). */
  remoteKey: Uint8Array;
}

export function srtpTagBytes(suite: SrtpSuite): number {
  return suite === 'AES_CM_128_HMAC_SHA1_32' ? 4 : 10;
}

export interface SrtpSessionKeys {
  cipherKey: Buffer;
  authKey: Buffer;
  salt: Buffer;
}

/**
 * §4.3.1 with kdr = 0: key_id = label || r (r = 0), x = key_id XOR master_salt, and the session key
 * for `label` is the AES-CM keystream of the master key from IV x·2^16. Labels 0-2 are SRTP's
 * encryption key, authentication key and salt.
 */
export function deriveSessionKeys(master: Uint8Array): SrtpSessionKeys {
  if (master.length !== SRTP_MASTER_BYTES) {
    throw new RangeError(`an SRTP master key and salt are ${SRTP_MASTER_BYTES} bytes, not ${master.length}`);
  }
  const key = master.subarray(0, 16);
  const salt = master.subarray(16, 30);
  const derive = (label: number, length: number): Buffer => {
    const iv = Buffer.alloc(16);
    iv.set(salt, 0);
    iv[7]! ^= label; // label sits 7 bytes from the right of the 112-bit salt
    return aesCmKeystream(key, iv, length);
  };
  return { cipherKey: derive(0, 16), authKey: derive(1, 20), salt: derive(2, 14) };
}

/** AES-CM keystream (§4.1.1): AES(key, IV + j) for j = 0, 1, ... concatenated, cut to `length`. */
export function aesCmKeystream(key: Uint8Array, iv: Uint8Array, length: number): Buffer {
  const blocks = Math.ceil(length / 16);
  const counters = Buffer.alloc(blocks * 16);
  for (let j = 0; j < blocks; j++) {
    counters.set(iv, j * 16);
    counters.writeUInt16BE(j, j * 16 + 14);
  }
  const ecb = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  return ecb.update(counters).subarray(0, length);
}

/** Length of an RTP header with its CSRCs and extension, or -1 when `length` cannot hold it. */
function rtpHeaderLength(bytes: Uint8Array, length: number): number {
  if (length < 12) return -1;
  let at = 12 + (bytes[0]! & 0x0f) * 4;
  if (bytes[0]! & 0x10) {
    if (at + 4 > length) return -1;
    at += 4 + ((bytes[at + 2]! << 8) | bytes[at + 3]!) * 4;
  }
  return at <= length ? at : -1;
}

/** One direction's session keys and the AES-CM machinery that uses them. */
class SrtpTransform {
  readonly tagBytes: number;
  readonly #authKey: Buffer;
  readonly #salt: Buffer;
  readonly #ecb: Cipher;
  #counters = Buffer.alloc(32 * 16);
  readonly #roc = Buffer.alloc(4);

  constructor(suite: SrtpSuite, master: Uint8Array) {
    const keys = deriveSessionKeys(master);
    this.tagBytes = srtpTagBytes(suite);
    this.#authKey = keys.authKey;
    this.#salt = keys.salt;
    this.#ecb = createCipheriv('aes-128-ecb', keys.cipherKey, null).setAutoPadding(false);
  }

  /**
   * XORs the keystream for packet index `roc·2^16 + seq` of `ssrc` into bytes[from, to) (§4.1.1:
   * IV = (k_s·2^16) XOR (SSRC·2^64) XOR (i·2^16)).
   */
  crypt(bytes: Uint8Array, from: number, to: number, ssrc: number, roc: number, seq: number): void {
    const length = to - from;
    if (length <= 0) return;
    const blocks = Math.ceil(length / 16);
    if (this.#counters.length < blocks * 16) this.#counters = Buffer.alloc(blocks * 16);
    const counters = this.#counters;
    const s = this.#salt;
    for (let j = 0; j < blocks; j++) {
      const at = j * 16;
      counters[at] = s[0]!;
      counters[at + 1] = s[1]!;
      counters[at + 2] = s[2]!;
      counters[at + 3] = s[3]!;
      counters[at + 4] = s[4]! ^ (ssrc >>> 24);
      counters[at + 5] = s[5]! ^ ((ssrc >>> 16) & 0xff);
      counters[at + 6] = s[6]! ^ ((ssrc >>> 8) & 0xff);
      counters[at + 7] = s[7]! ^ (ssrc & 0xff);
      counters[at + 8] = s[8]! ^ (roc >>> 24);
      counters[at + 9] = s[9]! ^ ((roc >>> 16) & 0xff);
      counters[at + 10] = s[10]! ^ ((roc >>> 8) & 0xff);
      counters[at + 11] = s[11]! ^ (roc & 0xff);
      counters[at + 12] = s[12]! ^ (seq >>> 8);
      counters[at + 13] = s[13]! ^ (seq & 0xff);
      counters[at + 14] = j >>> 8;
      counters[at + 15] = j & 0xff;
    }
    const stream = this.#ecb.update(counters.subarray(0, blocks * 16));
    for (let k = 0; k < length; k++) bytes[from + k]! ^= stream[k]!;
  }

  /** §4.2: HMAC-SHA1 over the authenticated portion || ROC, cut to the suite's tag length. */
  tag(bytes: Uint8Array, length: number, roc: number): Buffer {
    this.#roc.writeUInt32BE(roc >>> 0, 0);
    return createHmac('sha1', this.#authKey)
      .update(bytes.subarray(0, length))
      .update(this.#roc)
      .digest()
      .subarray(0, this.tagBytes);
  }
}

/**
 * The sending side: encrypts and tags our packets in place. The rollover counter (ROC) counts
 * the wraps of the 16-bit sequence number it sees (§3.3.1).
 */
export class SrtpSender {
  readonly tagBytes: number;
  readonly #transform: SrtpTransform;
  #roc = 0;
  #lastSeq = -1;

  constructor(suite: SrtpSuite, master: Uint8Array) {
    this.#transform = new SrtpTransform(suite, master);
    this.tagBytes = this.#transform.tagBytes;
  }

  get rolloverCounter(): number {
    return this.#roc;
  }

  /**
   * Protects the RTP packet in bytes[0, length) in place and appends the tag; `bytes` needs
   * {@link tagBytes} of room after it. Returns the SRTP packet's length (-1: not an RTP header).
   */
  protect(bytes: Uint8Array, length: number): number {
    const header = rtpHeaderLength(bytes, length);
    if (header < 0 || length + this.tagBytes > bytes.length) return -1;
    const seq = (bytes[2]! << 8) | bytes[3]!;
    if (this.#lastSeq >= 0 && seq < this.#lastSeq && this.#lastSeq - seq > 0x8000) {
      this.#roc = (this.#roc + 1) >>> 0;
    }
    this.#lastSeq = seq;
    const ssrc = ((bytes[8]! << 24) | (bytes[9]! << 16) | (bytes[10]! << 8) | bytes[11]!) >>> 0;
    this.#transform.crypt(bytes, header, length, ssrc, this.#roc, seq);
    const tag = this.#transform.tag(bytes, length, this.#roc);
    bytes.set(tag, length);
    return length + this.tagBytes;
  }
}

/** Why a received SRTP packet was dropped. */
export type SrtpDrop = 'auth' | 'replay';

/** Packets within this many indices below the highest received are checked for replay (§3.3.2). */
export const SRTP_REPLAY_WINDOW = 128;
const MAX_STREAMS = 16;

/** Per-SSRC receive state: ROC and highest sequence (s_l), the replay window. */
interface ReceiveStream {
  /** Highest index authenticated so far (roc·2^16 + s_l). */
  highest: number;
  /** Indices seen, slot = index mod window; -1 = empty. */
  readonly seen: Float64Array;
}

/**
 * The receiving side: authenticates, checks replay and decrypts packets in place, one replay
 * window and ROC per SSRC (at most 16 streams; the least recent is forgotten).
 */
export class SrtpReceiver {
  readonly tagBytes: number;
  readonly #transform: SrtpTransform;
  readonly #streams = new Map<number, ReceiveStream>();

  constructor(suite: SrtpSuite, master: Uint8Array) {
    this.#transform = new SrtpTransform(suite, master);
    this.tagBytes = this.#transform.tagBytes;
  }

  /**
   * Unprotects bytes[0, length) in place: the tag must match (timing-safe) and the index must not
   * have been seen or have fallen behind the window. Returns the RTP packet's length (the tag cut
   * off) or why the packet must be dropped. State changes only for authentic packets.
   */
  unprotect(bytes: Uint8Array, length: number): number | SrtpDrop {
    const tagBytes = this.tagBytes;
    const header = rtpHeaderLength(bytes, length - tagBytes);
    if (header < 0) return 'auth';
    const body = length - tagBytes;
    const seq = (bytes[2]! << 8) | bytes[3]!;
    const ssrc = ((bytes[8]! << 24) | (bytes[9]! << 16) | (bytes[10]! << 8) | bytes[11]!) >>> 0;
    const stream = this.#streams.get(ssrc);
    const index = stream === undefined ? seq : estimateIndex(stream.highest, seq);
    if (stream !== undefined && isReplay(stream, index)) return 'replay';
    const roc = Math.floor(index / 0x10000);
    const expected = this.#transform.tag(bytes, body, roc);
    if (!timingSafeEqual(expected, bytes.subarray(body, length))) return 'auth';
    this.#transform.crypt(bytes, header, body, ssrc, roc, seq);
    this.#accept(ssrc, stream, index);
    return body;
  }

  #accept(ssrc: number, known: ReceiveStream | undefined, index: number): void {
    let stream = known;
    if (stream === undefined) {
      if (this.#streams.size >= MAX_STREAMS) {
        const oldest = this.#streams.keys().next().value;
        if (oldest !== undefined) this.#streams.delete(oldest);
      }
      stream = { highest: index, seen: new Float64Array(SRTP_REPLAY_WINDOW).fill(-1) };
      this.#streams.set(ssrc, stream);
    } else {
      // Most recent last: Map keeps insertion order, so the first key is the least recent.
      this.#streams.delete(ssrc);
      this.#streams.set(ssrc, stream);
    }
    stream.seen[index % SRTP_REPLAY_WINDOW] = index;
    if (index > stream.highest) stream.highest = index;
  }
}

/**
 * §3.3.1: the index whose sequence number is `seq` and that lies closest to the highest one seen
 * (ROC - 1, ROC or ROC + 1). May be negative for a packet from before the stream began.
 */
export function estimateIndex(highest: number, seq: number): number {
  const roc = Math.floor(highest / 0x10000);
  const sl = highest % 0x10000;
  let v = roc;
  if (sl < 0x8000) {
    if (seq - sl > 0x8000) v = roc - 1;
  } else if (sl - 0x8000 > seq) {
    v = roc + 1;
  }
  return v * 0x10000 + seq;
}

function isReplay(stream: ReceiveStream, index: number): boolean {
  if (index < 0) return true;
  if (index > stream.highest) return false;
  if (stream.highest - index >= SRTP_REPLAY_WINDOW) return true; // too old to tell: drop (§3.3.2)
  return stream.seen[index % SRTP_REPLAY_WINDOW] === index;
}

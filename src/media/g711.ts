/**
 * G.711 µ-law (PCMU, RTP payload type 0) and A-law (PCMA, 8) codecs (ITU-T G.711; RFC 3551 §4.5.14).
 * `alawmulaw` supplies the reference per-sample functions; we run them once at load to fill lookup
 * tables (64 KiB per encoder, indexed by the 16-bit sample; 256 entries per decoder), so encoding
 * and decoding a frame is one table lookup per sample into a caller-owned buffer.
 */
import alawmulaw from 'alawmulaw';

export type G711Name = 'PCMU' | 'PCMA';

export class G711Codec {
  readonly name: G711Name;
  /** Static RTP payload type (RFC 3551 table 4). */
  readonly payloadType: number;
  /** The code for a zero sample: what a frame of silence is filled with. */
  readonly silenceByte: number;
  readonly #encodeTable: Uint8Array;
  readonly #decodeTable: Int16Array;

  constructor(
    name: G711Name,
    payloadType: number,
    encodeSample: (s: number) => number,
    decodeSample: (c: number) => number,
  ) {
    this.name = name;
    this.payloadType = payloadType;
    this.#encodeTable = new Uint8Array(0x10000);
    for (let s = -32768; s < 32768; s++) this.#encodeTable[s & 0xffff] = encodeSample(s) & 0xff;
    this.#decodeTable = new Int16Array(256);
    for (let c = 0; c < 256; c++) this.#decodeTable[c] = decodeSample(c);
    this.silenceByte = this.#encodeTable[0]!;
  }

  encodeSample(sample: number): number {
    return this.#encodeTable[sample & 0xffff]!;
  }

  decodeSample(code: number): number {
    return this.#decodeTable[code & 0xff]!;
  }

  /** Encodes `count` samples from `src[srcOffset]` into `dst[dstOffset]`. */
  encode(src: Int16Array, srcOffset: number, count: number, dst: Uint8Array, dstOffset: number): void {
    const table = this.#encodeTable;
    for (let i = 0; i < count; i++) dst[dstOffset + i] = table[src[srcOffset + i]! & 0xffff]!;
  }

  /** Decodes `count` codes from `src[srcOffset]` into `dst[dstOffset]` (fits the JitterBuffer's PayloadDecoder). */
  decode(src: Uint8Array, srcOffset: number, count: number, dst: Int16Array, dstOffset: number): void {
    const table = this.#decodeTable;
    for (let i = 0; i < count; i++) dst[dstOffset + i] = table[src[srcOffset + i]!]!;
  }
}

export const PCMU = new G711Codec('PCMU', 0, alawmulaw.mulaw.encodeSample, alawmulaw.mulaw.decodeSample);
export const PCMA = new G711Codec('PCMA', 8, alawmulaw.alaw.encodeSample, alawmulaw.alaw.decodeSample);

export function g711ByName(name: G711Name): G711Codec {
  return name === 'PCMA' ? PCMA : PCMU;
}

/** The codec for a static payload type, or undefined when it is neither PCMU (0) nor PCMA (8). */
export function g711ByPayloadType(payloadType: number): G711Codec | undefined {
  return payloadType === 0 ? PCMU : payloadType === 8 ? PCMA : undefined;
}

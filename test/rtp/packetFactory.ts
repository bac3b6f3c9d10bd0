/** Builds RTP packets for tests. */

import type { PayloadDecoder } from '../../src/rtp/jitterBuffer.js';
import { RtpPacket, rtpPacketSize, writeRtpPacket } from '../../src/rtp/rtpPacket.js';

export interface PacketSpec {
  seq: number;
  ts: number;
  ssrc?: number;
  marker?: boolean;
  pt?: number;
  payload?: Uint8Array;
  /** Payload length when `payload` is absent: every byte is `fill`. */
  samples?: number;
  fill?: number;
}

export function makePacket(spec: PacketSpec): RtpPacket {
  const payload = spec.payload ?? new Uint8Array(spec.samples ?? 160).fill(spec.fill ?? 1);
  const fields = {
    marker: spec.marker ?? false,
    payloadType: spec.pt ?? 0,
    sequenceNumber: spec.seq & 0xffff,
    timestamp: spec.ts >>> 0,
    ssrc: spec.ssrc ?? 0x11111111,
  };
  const bytes = new Uint8Array(rtpPacketSize(fields, payload.length));
  writeRtpPacket(bytes, fields, payload);
  return RtpPacket.parse(bytes)!;
}

/** Decodes byte b to sample b * 100, so a frame's source packet can be read back from its samples. */
export const tagDecoder: PayloadDecoder = {
  decode(src, srcOffset, count, dst, dstOffset) {
    for (let i = 0; i < count; i++) dst[dstOffset + i] = src[srcOffset + i]! * 100;
  },
};

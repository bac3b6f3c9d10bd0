/**
 * RTCP on the RTP port (rtcp-mux, RFC 5761). We neither send nor interpret RTCP; a peer that muxes
 * it onto the RTP port must not have those packets mistaken for audio.
 */

/**
 * RFC 5761 §4: with RTP and RTCP on one port, the second octet tells them apart. RTCP packet types
 * 192–223 (SR 200, RR 201, SDES 202, BYE 203, APP 204, ...) occupy, read as RTP marker + payload
 * type, payload types 64–95 — a range RTP must not use when muxing.
 */
export function isRtcpPacket(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false;
  const pt = bytes[1]! & 0x7f;
  return pt >= 64 && pt <= 95;
}

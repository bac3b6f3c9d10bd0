import { isIPv6 } from 'node:net';
import { type MediaDescription, parse, type SessionDescription, write } from 'sdp-transform';
import { systemClock } from '../clock/clock.js';

/**
 * SDP offer/answer for one audio stream — G.711 or G.722 (RFC 3264, RFC 4566, RFC 4733 for
 * telephone-event). The RTP address and port always come from the caller (the RTP layer owns the
 * sockets). G.722 is `G722/8000` on static payload type 9 (RFC 3551 §4.5.2: the RTP clock rate is
 * 8000 although the audio is sampled at 16 kHz, an error kept for compatibility).
 *
 * Which codec: answering an offer, the offerer's first codec among those we support (PCMU, PCMA and
 * G.722 unless the caller narrows them), so G.722 is taken when offered before G.711; reading an
 * answer to our offer, its first codec among those we offered.
 */

export type CodecName = 'PCMU' | 'PCMA' | 'G722';
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

const STATIC_PT: Record<CodecName, number> = { PCMU: 0, PCMA: 8, G722: 9 };
const BY_STATIC_PT = new Map<number, CodecName>([
  [0, 'PCMU'],
  [8, 'PCMA'],
  [9, 'G722'],
]);
/** What we answer with when the caller does not narrow it. */
const SUPPORTED_ALL: readonly CodecName[] = ['PCMU', 'PCMA', 'G722'];

export interface LocalMedia {
  /** RTP address (IP literal) and port the RTP layer listens on. */
  ip: string;
  port: number;
  /**
   * Codecs in order of preference: an offer lists them (default PCMU, PCMA); an answer accepts them
   * (default PCMU, PCMA, G722) in the offerer's order.
   */
  codecs?: readonly CodecName[];
  /** telephone-event payload type (default 101); false to leave it out. */
  telephoneEvent?: number | false;
  ptime?: number;
  direction?: MediaDirection;
  /** o= session id and version (RFC 4566 §5.2); the version must grow when the SDP changes. */
  sessionId?: string;
  sessionVersion?: number;
  /** SDES-SRTP (RFC 4568): our keys, one per suite we accept; absent = plain RTP only. */
  srtp?: LocalSrtp;
}

/** The SDES suites we support (RFC 4568 §6.2), in our order of preference. */
export const SDES_SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const;
export type SdesSuite = (typeof SDES_SUITES)[number];

/** One `a=crypto:<tag> <suite> inline:<key||salt>` line (RFC 4568 §9.1), the key in base64. */
export interface SdesCrypto {
  tag: number;
  suite: SdesSuite;
  /** base64 of the 30-byte master key || salt (no lifetime, no MKI). */
  key: string;
}

/**
 * `required`: RTP/SAVP, the answer must carry a crypto line we offered. `optional`: RTP/AVP with
 * crypto lines (best-effort SDES), a plain answer is fine. Answering, both accept an offer's crypto.
 */
export interface LocalSrtp {
  policy: 'optional' | 'required';
  /** Our lines (the tags matter only in an offer; an answer takes the offer's tag). */
  crypto: readonly SdesCrypto[];
}

/** What one side's SDP says about the audio stream. */
export interface MediaDescriptionSummary {
  /** Where to send RTP. */
  ip: string;
  port: number;
  /** The codec to use: the first of the peer's list that we support. */
  codec: { payloadType: number; name: CodecName; clockRate: number };
  /** telephone-event payload type, when the peer offered/accepted RFC 4733 events. */
  telephoneEventPt: number | undefined;
  /** The direction as the peer wrote it. */
  direction: MediaDirection;
  ptime: number | undefined;
  rtcpMux: boolean;
  /** Every codec we could use, in the peer's order (an offer's answerer may pick any). */
  codecs: Array<{ payloadType: number; name: CodecName }>;
  /** m= says RTP/SAVP (or SAVPF): the peer requires SRTP. */
  secure?: boolean;
  /** The crypto lines with a suite we support, in the peer's order (an answer's first is in use). */
  crypto?: SdesCrypto[];
}

export type SdpErrorCode = 'unparseable' | 'no-audio' | 'no-connection' | 'no-common-codec' | 'no-crypto';

export interface SdpError {
  code: SdpErrorCode;
  message: string;
}

export type SdpResult<T> = { ok: true; value: T } | { ok: false; error: SdpError };

function err<T>(code: SdpErrorCode, message: string): SdpResult<T> {
  return { ok: false, error: { code, message } };
}

function ipVersion(ip: string): 4 | 6 {
  return isIPv6(ip) ? 6 : 4;
}

/** Builds our offer: PCMU 0, PCMA 8 (or the codecs given), telephone-event/8000 101 0-16, ptime 20, sendrecv. */
export function buildOffer(local: LocalMedia): string {
  const codecs = local.codecs ?? ['PCMU', 'PCMA'];
  const te = local.telephoneEvent === undefined ? 101 : local.telephoneEvent;
  const rtp: MediaDescription['rtp'] = codecs.map((name) => ({
    payload: STATIC_PT[name],
    codec: name,
    rate: 8000,
  }));
  const fmtp: MediaDescription['fmtp'] = [];
  if (te !== false) {
    rtp.push({ payload: te, codec: 'telephone-event', rate: 8000 });
    fmtp.push({ payload: te, config: '0-16' });
  }
  const srtp = local.srtp;
  return writeSession(local, rtp, fmtp, local.direction ?? 'sendrecv', false, {
    secure: srtp?.policy === 'required',
    crypto: srtp?.crypto ?? [],
  });
}

function writeSession(
  local: LocalMedia,
  rtp: MediaDescription['rtp'],
  fmtp: MediaDescription['fmtp'],
  direction: MediaDirection,
  rtcpMux: boolean,
  srtp: { secure: boolean; crypto: readonly SdesCrypto[] } = { secure: false, crypto: [] },
): string {
  const version = ipVersion(local.ip);
  const session: SessionDescription = {
    version: 0,
    origin: {
      username: 'smartcall',
      sessionId: local.sessionId ?? String(Math.floor(systemClock.now())),
      sessionVersion: local.sessionVersion ?? 1,
      netType: 'IN',
      ipVer: version,
      address: local.ip,
    },
    name: 'smartcall',
    connection: { version, ip: local.ip },
    timing: { start: 0, stop: 0 },
    media: [
      {
        type: 'audio',
        port: local.port,
        protocol: srtp.secure ? 'RTP/SAVP' : 'RTP/AVP',
        payloads: rtp.map((r) => r.payload).join(' '),
        rtp,
        fmtp,
        ptime: local.ptime ?? 20,
        direction,
        ...(rtcpMux ? { rtcpMux: 'rtcp-mux' } : {}),
        ...(srtp.crypto.length > 0 && {
          crypto: srtp.crypto.map((c) => ({ id: c.tag, suite: c.suite, config: `inline:${c.key}` })),
        }),
      },
    ],
  };
  return write(session);
}

function codecOf(payload: number, media: MediaDescription): CodecName | undefined {
  const map = media.rtp.find((r) => r.payload === payload);
  if (map) {
    const name = map.codec.toUpperCase();
    const known = name === 'PCMU' || name === 'PCMA' || name === 'G722';
    if (known && (map.rate === undefined || map.rate === 8000)) return name;
    return undefined;
  }
  // RFC 3551 static payload types need no rtpmap.
  return BY_STATIC_PT.get(payload);
}

/**
 * Reads the first active audio stream of an SDP (an offer or an answer) and what we can use of it.
 * `supported` restricts the codecs we accept (default PCMU, PCMA and G.722).
 */
export function describeSdp(
  sdp: string,
  supported: readonly CodecName[] = SUPPORTED_ALL,
): SdpResult<MediaDescriptionSummary> {
  let session: SessionDescription;
  try {
    session = parse(sdp);
  } catch (e) {
    return err('unparseable', (e as Error).message);
  }
  if (!Array.isArray(session.media)) return err('unparseable', 'no media sections');
  const media = session.media.find(
    (m) => m.type === 'audio' && m.port > 0 && /RTP\/S?AVP/.test(m.protocol ?? ''),
  );
  if (!media) return err('no-audio', 'no active RTP/AVP audio stream');
  const ip = media.connection?.ip ?? session.connection?.ip;
  if (!ip) return err('no-connection', 'no c= line');
  const payloads = String(media.payloads ?? '')
    .trim()
    .split(/\s+/)
    .map(Number)
    .filter((n) => Number.isInteger(n));
  const codecs: MediaDescriptionSummary['codecs'] = [];
  for (const pt of payloads) {
    const name = codecOf(pt, media);
    if (name && supported.includes(name)) codecs.push({ payloadType: pt, name });
  }
  const first = codecs[0];
  if (!first) return err('no-common-codec', `no supported codec in "${media.payloads ?? ''}"`);
  const te = media.rtp.find((r) => r.codec.toLowerCase() === 'telephone-event' && (r.rate ?? 8000) === 8000);
  const direction = (media.direction ?? session.direction ?? 'sendrecv') as MediaDirection;
  return {
    ok: true,
    value: {
      ip,
      port: media.port,
      codec: { payloadType: first.payloadType, name: first.name, clockRate: 8000 },
      telephoneEventPt: te && payloads.includes(te.payload) ? te.payload : undefined,
      direction,
      ptime: media.ptime,
      rtcpMux: media.rtcpMux !== undefined,
      codecs,
      secure: /SAVP/.test(media.protocol ?? ''),
      crypto: readCrypto(media),
    },
  };
}

/**
 * The a=crypto lines we can use (RFC 4568 §9.1): a suite we support, an `inline:` key of 30 bytes,
 * a lifetime allowed, no MKI (we could not put it in packets) and no session parameters.
 */
function readCrypto(media: MediaDescription): SdesCrypto[] {
  const out: SdesCrypto[] = [];
  for (const line of media.crypto ?? []) {
    if (!(SDES_SUITES as readonly string[]).includes(line.suite) || line.sessionConfig) continue;
    if (!Number.isInteger(line.id) || line.id < 0 || line.id > 999_999_999) continue;
    // A single key; several ';'-joined keys would need MKIs.
    const m = /^inline:([A-Za-z0-9+/=]+)(?:\|(?:2\^)?\d+)?$/.exec(line.config);
    if (!m || Buffer.from(m[1]!, 'base64').length !== 30) continue;
    out.push({ tag: line.id, suite: line.suite as SdesSuite, key: m[1]! });
  }
  return out;
}

/**
 * Reads an answer to our offer (same as `describeSdp`; the answerer's first codec is the one in use,
 * among `offered`, by default those of `ourOffer`, else both G.711 laws). Given our offer, SDES is checked (RFC 4568 §7.1.2): an answer's crypto line must repeat the tag
 * and suite of one we offered; to an RTP/SAVP offer, an answer without one fails (`no-crypto`);
 * when we offered no crypto, crypto in the answer is ignored.
 */
export function parseAnswer(
  sdp: string,
  offered?: readonly CodecName[],
  ourOffer?: string,
): SdpResult<MediaDescriptionSummary> {
  const ours = ourOffer === undefined ? undefined : describeSdp(ourOffer, SUPPORTED_ALL);
  const ourCodecs = ours?.ok ? ours.value.codecs.map((c) => c.name) : ['PCMU' as const, 'PCMA' as const];
  const described = describeSdp(sdp, offered ?? ourCodecs);
  if (!described.ok || ours === undefined) return described;
  const offeredCrypto = ours.ok ? (ours.value.crypto ?? []) : [];
  const answer = described.value;
  if (offeredCrypto.length === 0) return { ok: true, value: { ...answer, crypto: [] } };
  const line = answer.crypto?.[0];
  const match = line && offeredCrypto.find((c) => c.tag === line.tag && c.suite === line.suite);
  if (match && line) return { ok: true, value: { ...answer, crypto: [line] } };
  if ((ours.ok && ours.value.secure) || line !== undefined || (answer.secure ?? false)) {
    return err('no-crypto', 'the answer has no usable a=crypto line for our SRTP offer');
  }
  return { ok: true, value: { ...answer, crypto: [] } };
}

const MIRROR: Record<MediaDirection, MediaDirection> = {
  sendrecv: 'sendrecv',
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
};

export interface Answer {
  sdp: string;
  /** The offerer's stream as negotiated: where to send, with which codec. */
  remote: MediaDescriptionSummary;
}

/**
 * Answers an offer (RFC 3264 §6): the first offered codec we support (the offerer's preference),
 * the offerer's telephone-event payload type when it offered one, the mirrored direction, and
 * a=rtcp-mux only when offered and `local.rtcpMux` allows it. Fails with `no-common-codec`
 * (answer 488) when nothing fits.
 */
export function buildAnswer(offer: string, local: LocalMedia & { rtcpMux?: boolean }): SdpResult<Answer> {
  const described = describeSdp(offer, local.codecs ?? SUPPORTED_ALL);
  if (!described.ok) return described;
  const sdes = answerCrypto(described.value, local.srtp);
  if (!sdes.ok) return sdes;
  const remote = { ...described.value, crypto: sdes.value.remote };
  const rtp: MediaDescription['rtp'] = [
    { payload: remote.codec.payloadType, codec: remote.codec.name, rate: 8000 },
  ];
  const fmtp: MediaDescription['fmtp'] = [];
  if (remote.telephoneEventPt !== undefined && local.telephoneEvent !== false) {
    rtp.push({ payload: remote.telephoneEventPt, codec: 'telephone-event', rate: 8000 });
    fmtp.push({ payload: remote.telephoneEventPt, config: '0-16' });
  }
  const direction = MIRROR[remote.direction] ?? 'sendrecv';
  const sdp = writeSession(
    local,
    rtp,
    fmtp,
    local.direction ?? direction,
    remote.rtcpMux && local.rtcpMux === true,
    { secure: remote.secure === true, crypto: sdes.value.ours },
  );
  return { ok: true, value: { sdp, remote } };
}

/**
 * RFC 4568 §7.1.1 for the answerer: the first offered line whose suite we have a key for, answered
 * with the same tag and our key. An RTP/SAVP offer without one, or a plain offer when we require
 * SRTP, cannot be answered (488).
 */
function answerCrypto(
  offer: MediaDescriptionSummary,
  local: LocalSrtp | undefined,
): SdpResult<{ ours: SdesCrypto[]; remote: SdesCrypto[] }> {
  for (const line of offer.crypto ?? []) {
    const mine = local?.crypto.find((c) => c.suite === line.suite);
    if (mine) return { ok: true, value: { ours: [{ ...mine, tag: line.tag }], remote: [line] } };
  }
  if (offer.secure) return err('no-crypto', 'RTP/SAVP offered without a crypto suite we support');
  if (local?.policy === 'required') return err('no-crypto', 'SRTP is required but the offer has no crypto');
  return { ok: true, value: { ours: [], remote: [] } };
}

/** Our own SDES lines in an SDP we wrote (the policy follows its m= profile), for re-answering. */
export function readLocalSrtp(sdp: string): LocalSrtp | undefined {
  const described = describeSdp(sdp, SUPPORTED_ALL);
  if (!described.ok || !described.value.crypto?.length) return undefined;
  return { policy: described.value.secure ? 'required' : 'optional', crypto: described.value.crypto };
}

/** The o= line's session id and version and the c=/m= address of an SDP we wrote. */
export function readOrigin(
  sdp: string,
): { sessionId: string; sessionVersion: number; ip: string; port: number } | undefined {
  try {
    const s = parse(sdp);
    const media = s.media?.find((m) => m.type === 'audio');
    const ip = media?.connection?.ip ?? s.connection?.ip;
    if (!s.origin || !media || !ip) return undefined;
    return {
      sessionId: String(s.origin.sessionId),
      sessionVersion: Number(s.origin.sessionVersion),
      ip,
      port: media.port,
    };
  } catch {
    return undefined;
  }
}

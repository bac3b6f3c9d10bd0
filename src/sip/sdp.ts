import { isIPv6 } from 'node:net';
import { type MediaDescription, parse, type SessionDescription, write } from 'sdp-transform';
import { systemClock } from '../clock/clock.js';

/**
 * SDP offer/answer for one G.711 audio stream (RFC 3264, RFC 4566, RFC 4733 for telephone-event).
 * The RTP address and port always come from the caller (the RTP layer owns the sockets).
 */

export type CodecName = 'PCMU' | 'PCMA';
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

const STATIC_PT: Record<CodecName, number> = { PCMU: 0, PCMA: 8 };

export interface LocalMedia {
  /** RTP address (IP literal) and port the RTP layer listens on. */
  ip: string;
  port: number;
  /** Codecs in order of preference (default PCMU, PCMA). */
  codecs?: readonly CodecName[];
  /** telephone-event payload type (default 101); false to leave it out. */
  telephoneEvent?: number | false;
  ptime?: number;
  direction?: MediaDirection;
  /** o= session id and version (RFC 4566 §5.2); the version must grow when the SDP changes. */
  sessionId?: string;
  sessionVersion?: number;
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
}

export type SdpErrorCode = 'unparseable' | 'no-audio' | 'no-connection' | 'no-common-codec';

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

/** Builds our offer: PCMU 0, PCMA 8, telephone-event/8000 101 0-16, ptime 20, sendrecv. */
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
  return writeSession(local, rtp, fmtp, local.direction ?? 'sendrecv', false);
}

function writeSession(
  local: LocalMedia,
  rtp: MediaDescription['rtp'],
  fmtp: MediaDescription['fmtp'],
  direction: MediaDirection,
  rtcpMux: boolean,
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
        protocol: 'RTP/AVP',
        payloads: rtp.map((r) => r.payload).join(' '),
        rtp,
        fmtp,
        ptime: local.ptime ?? 20,
        direction,
        ...(rtcpMux ? { rtcpMux: 'rtcp-mux' } : {}),
      },
    ],
  };
  return write(session);
}

function codecOf(payload: number, media: MediaDescription): CodecName | undefined {
  const map = media.rtp.find((r) => r.payload === payload);
  if (map) {
    const name = map.codec.toUpperCase();
    if ((name === 'PCMU' || name === 'PCMA') && (map.rate === undefined || map.rate === 8000)) return name;
    return undefined;
  }
  // RFC 3551 static payload types need no rtpmap.
  return payload === 0 ? 'PCMU' : payload === 8 ? 'PCMA' : undefined;
}

/**
 * Reads the first active audio stream of an SDP (an offer or an answer) and what we can use of it.
 * `supported` restricts the codecs we accept (default both G.711 laws).
 */
export function describeSdp(
  sdp: string,
  supported: readonly CodecName[] = ['PCMU', 'PCMA'],
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
    },
  };
}

/** Reads an answer to our offer (same as `describeSdp`; the answerer's first codec is the one in use). */
export function parseAnswer(
  sdp: string,
  offered: readonly CodecName[] = ['PCMU', 'PCMA'],
): SdpResult<MediaDescriptionSummary> {
  return describeSdp(sdp, offered);
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
  const described = describeSdp(offer, local.codecs ?? ['PCMU', 'PCMA']);
  if (!described.ok) return described;
  const remote = described.value;
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
  );
  return { ok: true, value: { sdp, remote } };
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

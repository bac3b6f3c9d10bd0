/**
 * One outbound call with its audio: the SIP INVITE (via the user agent) and the RTP session that
 * carries G.711 both ways, kept in step. Early media (183 with SDP) starts the audio before the
 * answer; the answer (or a re-INVITE) sets the codec and the far end's address; the media closes
 * when the call fails or ends. Terminal events: `failed` (never answered) or `ended`, exactly once.
 */
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { CallMedia } from '../media/callMedia.js';
import type { RecordingInfo } from '../media/callRecorder.js';
import type { MediaSessionOptions } from '../media/mediaSession.js';
import type {
  CallFailure,
  CodecName,
  DigestCredentials,
  EndedBy,
  Endpoint,
  LocalSrtp,
  OutgoingInvite,
  SdesSuite,
  TransportProtocol,
} from '../sip/index.js';
import { buildOffer, type MediaDescriptionSummary, parseUri, SipUri } from '../sip/index.js';
import { newLocalSrtp, type SrtpPolicy, srtpKeysFor } from './sdesKeys.js';
import type { Telephony } from './telephony.js';

export interface OutboundCallOptions {
  /** Request-URI, IP literal host: `sip:15900001111@127.0.0.1:5065`. */
  target: string;
  from?: string;
  fromDisplayName?: string;
  transport?: TransportProtocol;
  /** Next hops in order when the target's host is a name (RFC 3263; failover on timeout/503). */
  hops?: readonly Endpoint[];
  credentials?: DigestCredentials;
  headers?: Record<string, string>;
  /** CANCEL when no final answer came within this time (ring timeout). */
  setupTimeoutMs?: number;
  callId?: string;
  /** Codecs to offer, in order of preference (default PCMU, PCMA); the answer picks the one used. */
  codecs?: readonly CodecName[];
  /** SRTP with SDES (RFC 4568): off (default), optional (RTP/AVP + crypto) or required (RTP/SAVP). */
  srtp?: SrtpPolicy;
  /** The SDES suites to offer, in order (default AES_CM_128_HMAC_SHA1_80, then _32). */
  srtpSuites?: readonly SdesSuite[];
  /** RTP session settings (codec preference, jitter buffer, the benchmark's send hook, ...). */
  media?: Partial<MediaSessionOptions>;
}

export interface OutboundCallEvents {
  /** 180/183 without SDP: the callee's phone rings. */
  ringing: [status: number];
  /** 183 with SDP: the far end's audio flows already (operator announcements). */
  'early-media': [media: MediaDescriptionSummary | undefined];
  answered: [media: MediaDescriptionSummary];
  failed: [cause: CallFailure];
  /** The call is over, said before its media closes (what was playing is still known). */
  ending: [by: EndedBy];
  ended: [by: EndedBy, reason: string];
}

export class OutboundCall extends EventEmitter<OutboundCallEvents> {
  readonly media: CallMedia;
  readonly sip: OutgoingInvite;
  /** What the recorder wrote, once the call is over (when it recorded). */
  recording: RecordingInfo | undefined;
  /** Why the media failed to close, if it did (the call still ends). */
  closeError: unknown;
  #finished = false;
  readonly #srtp: LocalSrtp | undefined;

  private constructor(media: CallMedia, sip: OutgoingInvite, srtp: LocalSrtp | undefined) {
    super();
    this.media = media;
    this.sip = sip;
    this.#srtp = srtp;
    // Its media worker died: the call cannot go on without audio (BYE, or CANCEL before the answer).
    media.once('lost', () => this.hangup());
    sip.on('progress', (status, _reason, sdp) => {
      if (status >= 180 && sdp === undefined) this.emit('ringing', status);
    });
    sip.on('early-media', (_sdp, remote) => {
      if (remote) this.#follow(remote);
      this.emit('early-media', remote);
    });
    sip.on('answered', (_sdp, remote) => {
      this.#follow(remote);
      this.emit('answered', remote);
    });
    sip.on('media-update', (_sdp, remote) => this.#follow(remote));
    // The terminal event follows the media's close whether or not the close succeeded.
    sip.once('failed', (cause) => {
      void this.#finish().then(() => this.emit('failed', cause));
    });
    sip.once('ended', (by, reason) => {
      this.emit('ending', by);
      void this.#finish().then(() => this.emit('ended', by, reason));
    });
  }

  /** Opens the RTP session, offers it, sends the INVITE. */
  static async place(telephony: Telephony, options: OutboundCallOptions): Promise<OutboundCall> {
    const srtp = newLocalSrtp(options.srtp ?? 'off', options.srtpSuites);
    const media = await telephony.openMedia({
      ...options.media,
      ...(srtp?.policy === 'required' && { srtpRequired: true }),
    });
    try {
      // Bound to a wildcard, Via/Contact/SDP name the address the OS routes toward the first hop.
      const hops = firstHops(options);
      await telephony.ua.learnRoutes(hops);
      const ip = hops[0] === undefined ? media.localAddress : await telephony.mediaAddressToward(hops[0]);
      // Its media worker died while we waited: no INVITE for a port that is no longer ours.
      if (media.closed) throw new Error('the media of the call was lost during set-up');
      const sip = telephony.ua.invite({
        target: options.target,
        offer: buildOffer({
          ip,
          port: media.localPort,
          ...(options.codecs && { codecs: options.codecs }),
          ...(srtp && { srtp }),
        }),
        ...(options.from && { from: options.from }),
        ...(options.fromDisplayName && { fromDisplayName: options.fromDisplayName }),
        ...(options.transport && { transport: options.transport }),
        ...(options.hops && { hops: options.hops }),
        ...(options.credentials && { credentials: options.credentials }),
        ...(options.headers && { headers: options.headers }),
        ...(options.setupTimeoutMs !== undefined && { setupTimeoutMs: options.setupTimeoutMs }),
        ...(options.callId && { callId: options.callId }),
      });
      return new OutboundCall(media, sip, srtp);
    } catch (err) {
      await media.close();
      throw err;
    }
  }

  get answered(): boolean {
    return this.sip.state === 'answered';
  }

  /** CANCEL before the answer, BYE after it; the terminal event follows. */
  hangup(): void {
    this.sip.hangup();
  }

  #follow(remote: MediaDescriptionSummary): void {
    if (this.media.closed) return; // lost with its worker; the hang-up is on its way
    const endpoint = { address: remote.ip, port: remote.port };
    const update = {
      remote: endpoint,
      codec: remote.codec.name,
      telephoneEventPayloadType: remote.telephoneEventPt ?? null,
      // a=ptime is the packet time the far end wants to receive (RFC 4566 §6); we send 20 or 30.
      packetMs: remote.ptime === 30 ? (30 as const) : (20 as const),
      // Before the first packet goes out: keys for the suite the answer took (parseAnswer checked it).
      srtp: srtpKeysFor(this.#srtp, remote),
    };
    if (this.media.sending) this.media.update(update);
    else {
      const { remote: _, ...rest } = update;
      this.media.update(rest);
      this.media.start(endpoint);
    }
  }

  /** Closes the media; never rejects (a close that fails leaves `closeError` set, no recording). */
  async #finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    try {
      this.recording = (await this.media.close()).recording;
    } catch (err) {
      this.closeError = err;
    }
  }
}

/** The IPs the INVITE may go to: the located hops, else the target's host when it is an IP literal. */
function firstHops(options: OutboundCallOptions): string[] {
  if (options.hops?.length) return options.hops.map((h) => h.address);
  const uri = parseUri(options.target);
  if (!(uri instanceof SipUri)) return [];
  const host = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  return isIP(host) ? [host] : [];
}

/**
 * One call offered to us, with its audio once we take it: early media (183 with our SDP) or an
 * answer opens an RTP session towards the caller's offer; the session closes when the call ends.
 * The virtual phone network's callees are built on this.
 */
import { EventEmitter } from 'node:events';
import type { CallMedia } from '../media/callMedia.js';
import type { Logger } from '../observability/logger.js';
import type { EndedBy, IncomingInvite } from '../sip/index.js';
import { buildAnswer, type LocalSrtp, type MediaDescriptionSummary } from '../sip/index.js';
import { newLocalSrtp, srtpKeysFor } from './sdesKeys.js';
import type { Telephony } from './telephony.js';

export interface InboundCallEvents {
  /** Our answer was acknowledged. */
  confirmed: [];
  ended: [by: EndedBy, reason: string];
}

export class MediaOfferError extends Error {
  override name = 'MediaOfferError';
}

export class InboundCall extends EventEmitter<InboundCallEvents> {
  readonly sip: IncomingInvite;
  readonly #telephony: Telephony;
  #media: CallMedia | undefined;
  #opening: Promise<CallMedia> | undefined;
  #ended = false;
  #srtp: LocalSrtp | undefined;
  /** Why the media failed to close, if it did (the call still ends). */
  closeError: unknown;
  /**
   * Settles with the call's end, however late one looks: an inbound call is often awaited only
   * after a few database round trips, and a caller may hang up within them.
   */
  readonly whenEnded: Promise<[by: EndedBy, reason: string]>;

  constructor(telephony: Telephony, sip: IncomingInvite) {
    super();
    this.#telephony = telephony;
    this.sip = sip;
    sip.once('confirmed', () => this.emit('confirmed'));
    sip.on('media-update', (_sdp, remote) => this.#follow(remote));
    this.whenEnded = new Promise((resolve) => this.once('ended', (by, reason) => resolve([by, reason])));
    sip.once('ended', (by, reason) => {
      this.#ended = true;
      void this.#closeMedia().then(() => this.emit('ended', by, reason));
    });
  }

  get media(): CallMedia | undefined {
    return this.#media;
  }

  get ended(): boolean {
    return this.#ended;
  }

  ring(): void {
    this.sip.ring();
  }

  /**
   * 183 Session Progress with our SDP: audio we play reaches the caller before any answer.
   * `logger`: where the media session logs (the call's logger), when it opens here.
   */
  async earlyMedia(logger?: Logger): Promise<CallMedia> {
    const { media, sdp } = await this.#prepare(logger);
    this.sip.progress(sdp);
    return media;
  }

  /** 200 OK with our SDP answer; the media session starts towards the caller's offer. */
  async answer(logger?: Logger): Promise<CallMedia> {
    const { media, sdp } = await this.#prepare(logger);
    this.sip.answer(sdp);
    return media;
  }

  reject(status: number, reason?: string): void {
    this.sip.reject(status, reason);
  }

  /** BYE when answered; a final error response when still ringing. */
  hangup(): void {
    if (this.sip.state === 'answered') this.sip.bye();
    else if (this.sip.state === 'ringing') this.sip.reject(480);
  }

  async #prepare(logger: Logger | undefined): Promise<{ media: CallMedia; sdp: string }> {
    const offer = this.sip.offer;
    const remote = this.sip.offerMedia;
    if (offer === undefined || remote === undefined) {
      this.sip.reject(488, 'Not Acceptable Here');
      throw new MediaOfferError('the caller offered no usable audio (PCMU, PCMA or G.722)');
    }
    this.#opening ??= this.#telephony.openMedia({
      codec: remote.codec.name,
      telephoneEventPayloadType: remote.telephoneEventPt ?? null,
      ...(logger && { logger }),
    });
    const media = await this.#opening;
    if (this.#media !== media) {
      // Its media worker died: the call cannot go on without audio.
      media.once('lost', () => this.hangup());
      this.#media = media;
    }
    const ip = await this.#telephony.mediaAddressToward(remote.ip);
    if (this.#ended) {
      await media.close();
      throw new MediaOfferError('the call ended while its media was being set up');
    }
    if (media.closed) throw new MediaOfferError('the media of the call was lost during set-up');
    // An offer with SDES crypto is answered with our own fresh key (RFC 4568 §7.1.1); a plain one plainly.
    this.#srtp ??= newLocalSrtp('optional');
    const srtp = this.#srtp;
    const answer = buildAnswer(offer, { ip, port: media.localPort, srtp });
    if (!answer.ok) {
      await media.close();
      this.sip.reject(488, 'Not Acceptable Here');
      throw new MediaOfferError(answer.error.message);
    }
    media.update({ srtp: srtpKeysFor(srtp, answer.value.remote) });
    if (!media.sending) media.start({ address: remote.ip, port: remote.port });
    return { media, sdp: answer.value.sdp };
  }

  #follow(remote: MediaDescriptionSummary): void {
    if (this.#media?.closed) return;
    this.#media?.update({
      srtp: srtpKeysFor(this.#srtp, remote),
      remote: { address: remote.ip, port: remote.port },
      codec: remote.codec.name,
      telephoneEventPayloadType: remote.telephoneEventPt ?? null,
    });
  }

  /** Never rejects: the call's `ended` follows whether or not the media closed cleanly. */
  async #closeMedia(): Promise<void> {
    if (!this.#opening) return;
    try {
      await (await this.#opening.catch(() => undefined))?.close();
    } catch (err) {
      this.closeError = err;
    }
  }
}

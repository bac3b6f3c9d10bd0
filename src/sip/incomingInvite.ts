import { EventEmitter } from 'node:events';
import type { EndedBy } from './callFailure.js';
import { Dialog } from './dialog.js';
import { DialogSession } from './dialogSession.js';
import { newTag } from './ids.js';
import { createResponse, type ResponseOptions } from './messageFactory.js';
import { describeSdp, type MediaDescriptionSummary } from './sdp.js';
import type { ServerInviteTransaction } from './serverInviteTransaction.js';
import type { ServerNonInviteTransaction } from './serverNonInviteTransaction.js';
import type { SipRequest } from './sipMessage.js';
import type { Inbound } from './transport.js';
import type { UaChild, UaContext } from './uaContext.js';

export type IncomingInviteState = 'ringing' | 'answered' | 'ended';

export interface IncomingInviteEvents {
  /** The ACK for our 2xx arrived: the call is confirmed. */
  confirmed: [];
  /** The call is over (exactly once): rejected, cancelled by the caller, BYE either way, ... */
  ended: [by: EndedBy, reason: string];
  /** The peer changed the media (re-INVITE/UPDATE, or the answer in the ACK after a late offer). */
  'media-update': [sdp: string, media: MediaDescriptionSummary];
}

/**
 * One call offered to us (UAS, RFC 3261 §13.3): ring, early media, answer or reject; CANCEL from
 * the caller is answered 487 (§9.2). After `answer` a `DialogSession` handles the established call
 * and retransmits the 2xx until the ACK (§13.3.1.4).
 *
 * Terminal event: `ended` exactly once (reasons: rejected, cancelled, bye, ack-timeout,
 * session-expired, ua-closed).
 */
export class IncomingInvite extends EventEmitter<IncomingInviteEvents> implements UaChild {
  readonly invite: SipRequest;
  readonly inbound: Inbound;
  /** Set when the INVITE was sent to a registered Contact: that registration's label (the trunk). */
  registration: string | undefined;
  /** The caller's SDP offer; undefined for a late offer (answer() then carries our offer). */
  readonly offer: string | undefined;
  /** What the offer asks for, when it had one we can use. */
  readonly offerMedia: MediaDescriptionSummary | undefined;
  readonly #ua: UaContext;
  readonly #tx: ServerInviteTransaction;
  readonly #localTag = newTag();
  #state: IncomingInviteState = 'ringing';
  #session: DialogSession | undefined;

  constructor(ua: UaContext, invite: SipRequest, tx: ServerInviteTransaction, inbound: Inbound) {
    super();
    this.#ua = ua;
    this.invite = invite;
    this.#tx = tx;
    this.inbound = inbound;
    this.offer = invite.body.length > 0 ? invite.bodyText() : undefined;
    const described = this.offer === undefined ? undefined : describeSdp(this.offer);
    this.offerMedia = described?.ok ? described.value : undefined;
    ua.adopt(this);
  }

  get state(): IncomingInviteState {
    return this.#state;
  }

  get callId(): string {
    return this.invite.callId;
  }

  /** The established session (after `answer`). */
  get session(): DialogSession | undefined {
    return this.#session;
  }

  #provisional(status: number, options: ResponseOptions = {}): boolean {
    if (this.#state !== 'ringing' || this.#tx.state !== 'proceeding') return false;
    this.#tx.respond(this.#response(status, options));
    return true;
  }

  #response(status: number, options: ResponseOptions = {}) {
    const headers: Record<string, string | readonly string[]> = { ...options.headers };
    if (status > 100 && status < 300) {
      headers.Contact = this.#ua.contact(
        this.inbound.source.protocol,
        this.inbound.source.address,
        this.invite.uri.scheme === 'sips',
      );
      const rr = this.invite.headers.getAll('record-route');
      if (rr.length > 0) headers['Record-Route'] = rr; // §12.1.1: copied into dialog-creating responses
    }
    return createResponse(this.invite, status, { ...options, headers, toTag: this.#localTag });
  }

  /** 180 Ringing. */
  ring(): boolean {
    return this.#provisional(180);
  }

  /** 183 Session Progress, with SDP for early media (an answer to the offer). */
  progress(sdp?: string): boolean {
    return this.#provisional(183, sdp ? { body: sdp } : {});
  }

  /** 200 OK with our SDP (the answer, or our offer after a late offer). */
  answer(sdp: string): boolean {
    if (this.#state !== 'ringing' || this.#tx.state !== 'proceeding') return false;
    const protocol = this.inbound.source.protocol;
    const contact = this.#ua.contact(
      protocol,
      this.inbound.source.address,
      this.invite.uri.scheme === 'sips',
    );
    const dialog = Dialog.asUas(this.invite, this.#localTag, contact, protocol);
    dialog.connectionId = this.inbound.connectionId;
    const session = new DialogSession(
      this.#ua,
      dialog,
      sdp,
      { sdp: this.offer, media: this.offerMedia, allow: this.invite.allow() },
      {
        ended: (by, reason) => this.#end(by, reason),
        mediaUpdate: (s, m) => this.emit('media-update', s, m),
        acked: (cseq) => {
          if (cseq === this.invite.cseq.seq) this.emit('confirmed');
        },
      },
    );
    this.#session = session;
    this.#state = 'answered';
    const headers = {
      Allow: this.#ua.capabilities.methods.join(', '),
      Supported: 'timer',
      'User-Agent': this.#ua.userAgentHeader,
      ...session.negotiateSessionTimer(this.invite),
    };
    this.#tx.respond(this.#response(200, { headers, body: sdp }));
    const bytes = this.#tx.lastBytes;
    if (bytes) session.awaitAck(this.invite.cseq.seq, this.#tx, bytes);
    return true;
  }

  /** Rejects with a final 3xx-6xx (default 486 Busy Here). */
  reject(status = 486, reason?: string, headers?: Record<string, string>): boolean {
    if (status < 300 || status > 699) throw new RangeError(`reject needs a 3xx-6xx status, got ${status}`);
    if (this.#state !== 'ringing' || this.#tx.state !== 'proceeding') return false;
    this.#tx.respond(
      this.#response(status, { ...(reason ? { reason } : {}), ...(headers ? { headers } : {}) }),
    );
    this.#end('local', 'rejected');
    return true;
  }

  /** Sends BYE on an answered call. */
  bye(): boolean {
    return this.#state === 'answered' && (this.#session?.bye() ?? false);
  }

  /** Reject (480) or BYE, whichever applies. */
  hangup(): boolean {
    return this.#state === 'ringing' ? this.reject(480) : this.bye();
  }

  /** §9.2: the caller cancelled; 200 for the CANCEL, 487 for the INVITE if it is still pending. */
  onCancel(cancel: SipRequest, tx: ServerNonInviteTransaction): void {
    tx.respond(createResponse(cancel, 200, { toTag: this.#localTag }));
    if (this.#state !== 'ringing' || this.#tx.state !== 'proceeding') return;
    this.#tx.respond(this.#response(487));
    this.#end('remote', 'cancelled');
  }

  terminate(reason: string): void {
    if (this.#state === 'ringing') {
      this.#tx.respond(this.#response(503));
      this.#end('local', reason);
    } else if (this.#state === 'answered') {
      this.#session?.bye(reason);
      this.#session?.end('local', reason);
    }
  }

  #end(by: EndedBy, reason: string): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#ua.release(this);
    this.emit('ended', by, reason);
  }
}

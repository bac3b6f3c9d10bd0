import type { EndedBy } from './callFailure.js';
import type { Dialog } from './dialog.js';
import { formatSessionExpires } from './headerValues.js';
import { createResponse } from './messageFactory.js';
import { buildAnswer, describeSdp, type MediaDescriptionSummary, readLocalSrtp, readOrigin } from './sdp.js';
import { ServerInviteTransaction } from './serverInviteTransaction.js';
import { SessionTimer } from './sessionTimer.js';
import type { SipRequest, SipResponse } from './sipMessage.js';
import { SuccessRetransmitter } from './successRetransmitter.js';
import type { ClientTransaction, ServerTransaction } from './transactionLayer.js';
import type { DialogUser, UaContext } from './uaContext.js';

/** What an established session reports to the call that owns it. */
export interface DialogSessionEvents {
  ended(by: EndedBy, reason: string): void;
  /** The peer changed the media (re-INVITE/UPDATE offer, or the answer in an ACK). */
  mediaUpdate(sdp: string, media: MediaDescriptionSummary): void;
  info?(request: SipRequest): void;
  /** The ACK for a 2xx we sent arrived. */
  acked?(cseq: number): void;
}

/**
 * An established dialog of one call (RFC 3261 §12-§15, RFC 3311, RFC 4028): answers the peer's
 * in-dialog requests (BYE, re-INVITE, UPDATE, INFO, OPTIONS), keeps the offer/answer state,
 * retransmits our 2xx until ACKed, re-sends our ACK for retransmitted 2xx, runs the session timer
 * and sends BYE. `end` (local or remote) stops its timers and unregisters the dialog; in-flight
 * transactions finish on their own timers.
 */
export class DialogSession implements DialogUser {
  readonly dialog: Dialog;
  readonly #ua: UaContext;
  readonly #events: DialogSessionEvents;
  readonly #sessionTimer: SessionTimer;
  #localSdp: string;
  #remoteSdp: string | undefined;
  #remoteMedia: MediaDescriptionSummary | undefined;
  #peerAllowsUpdate = false;
  #ack: { cseq: number; bytes: Buffer } | undefined;
  #awaitingAck: SuccessRetransmitter | undefined;
  #pendingInvite: ClientTransaction | undefined;
  #byeSent = false;
  #ended = false;

  constructor(
    ua: UaContext,
    dialog: Dialog,
    localSdp: string,
    remote: { sdp?: string; media?: MediaDescriptionSummary; allow?: string[] | undefined },
    events: DialogSessionEvents,
  ) {
    this.#ua = ua;
    this.dialog = dialog;
    this.#localSdp = localSdp;
    this.#remoteSdp = remote.sdp;
    this.#remoteMedia = remote.media;
    this.#peerAllowsUpdate = remote.allow?.includes('UPDATE') ?? false;
    this.#events = events;
    this.#sessionTimer = new SessionTimer(
      ua.timers,
      () => this.#refresh(),
      () => this.bye('session-expired'),
    );
    ua.registerDialog(dialog.key, this);
  }

  get ended(): boolean {
    return this.#ended;
  }

  get localSdp(): string {
    return this.#localSdp;
  }

  get remoteSdp(): string | undefined {
    return this.#remoteSdp;
  }

  get remoteMedia(): MediaDescriptionSummary | undefined {
    return this.#remoteMedia;
  }

  /** Seconds of the running session timer (0 when none). */
  get sessionInterval(): number {
    return this.#sessionTimer.interval;
  }

  get weRefresh(): boolean {
    return this.#sessionTimer.weRefresh;
  }

  /** UAC: the ACK we sent for a 2xx, re-sent when that 2xx is retransmitted (§13.2.2.4). */
  rememberAck(cseq: number, bytes: Buffer): void {
    this.#ack = { cseq, bytes };
  }

  /** UAS: retransmit our 2xx until the ACK for `cseq` arrives (§13.3.1.4). */
  awaitAck(cseq: number, tx: ServerInviteTransaction, bytes: Buffer): void {
    this.#awaitingAck?.stop();
    this.#awaitingAck = new SuccessRetransmitter(
      cseq,
      this.#ua.timers,
      this.#ua.config,
      tx.target.protocol !== 'udp',
      () => tx.sendAgain(bytes),
      () => this.bye('ack-timeout'),
    );
  }

  /** RFC 4028 from a 2xx to our INVITE/UPDATE: the refresher parameter says who refreshes. */
  applySessionTimerFromResponse(response: SipResponse, fallbackSeconds?: number): void {
    const se = response.sessionExpires();
    if (se) this.#sessionTimer.start(se.seconds, (se.refresher ?? 'uac') === 'uac');
    else if (fallbackSeconds) this.#sessionTimer.start(fallbackSeconds, true);
    else this.#sessionTimer.stop();
  }

  /**
   * RFC 4028 §9 for a request we answer 2xx (initial INVITE, re-INVITE, UPDATE): the headers to put
   * in the 2xx, and starts the timer. No Session-Expires in the request means no session timer.
   */
  negotiateSessionTimer(request: SipRequest): Record<string, string> {
    const se = request.sessionExpires();
    if (!se) {
      this.#sessionTimer.stop();
      return {};
    }
    const peerSupports = request.supported().includes('timer');
    const refresher = se.refresher ?? (peerSupports ? 'uac' : 'uas');
    this.#sessionTimer.start(se.seconds, refresher === 'uas');
    const headers: Record<string, string> = {
      'Session-Expires': formatSessionExpires({ seconds: se.seconds, refresher }),
    };
    if (refresher === 'uac') headers.Require = 'timer';
    return headers;
  }

  onInDialogRequest(request: SipRequest, tx: ServerTransaction): void {
    const respond = (status: number, options: Parameters<typeof createResponse>[2] = {}) =>
      tx.respond(createResponse(request, status, options));
    if (this.#ended) {
      respond(481);
      return;
    }
    if (!this.dialog.acceptRemoteCSeq(request)) {
      respond(500, { reason: 'CSeq Out Of Order', headers: { 'Retry-After': '1' } });
      return;
    }
    switch (request.method) {
      case 'BYE':
        respond(200);
        this.end('remote', 'bye');
        return;
      case 'INVITE':
      case 'UPDATE':
        this.#onOfferRequest(request, tx);
        return;
      case 'INFO':
        respond(200);
        this.#events.info?.(request);
        return;
      case 'OPTIONS':
        respond(200, {
          headers: { Allow: this.#ua.capabilities.methods.join(', '), Accept: 'application/sdp' },
        });
        return;
      default:
        respond(405, { headers: { Allow: this.#ua.capabilities.methods.join(', ') } });
    }
  }

  /** re-INVITE (§14.2) and UPDATE (RFC 3311 §5.2): target refresh, offer/answer, session timer. */
  #onOfferRequest(request: SipRequest, tx: ServerTransaction): void {
    const respond = (status: number, options: Parameters<typeof createResponse>[2] = {}) =>
      tx.respond(createResponse(request, status, options));
    if (request.method === 'INVITE' && (this.#pendingInvite || this.#awaitingAck)) {
      respond(491); // §14.2: an INVITE of ours (or its ACK) is still outstanding
      return;
    }
    const se = request.sessionExpires();
    if (se && se.seconds < this.#ua.sessionTimer.minSE) {
      respond(422, { headers: { 'Min-SE': String(this.#ua.sessionTimer.minSE) } });
      return;
    }
    let body = this.#localSdp;
    let media: MediaDescriptionSummary | undefined;
    const offer = request.body.length > 0 ? request.bodyText() : undefined;
    if (offer !== undefined) {
      const answer = this.#answer(offer);
      if (!answer.ok) {
        respond(488, { headers: { Warning: `304 smartcall "${answer.message}"` } });
        return;
      }
      body = answer.sdp;
      media = answer.media;
    } else if (request.method === 'UPDATE') {
      body = '';
    }
    this.dialog.refreshTarget(request);
    const headers: Record<string, string> = {
      Contact: this.dialog.localContact,
      Allow: this.#ua.capabilities.methods.join(', '),
      Supported: 'timer',
      ...this.negotiateSessionTimer(request),
    };
    const response = createResponse(request, 200, { headers, body });
    tx.respond(response);
    if (request.method === 'INVITE' && tx instanceof ServerInviteTransaction) {
      const bytes = tx.lastBytes;
      if (bytes) this.awaitAck(request.cseq.seq, tx, bytes);
    }
    if (media && offer !== undefined) {
      const changed = offer !== this.#remoteSdp;
      this.#remoteSdp = offer;
      this.#remoteMedia = media;
      if (changed) this.#events.mediaUpdate(offer, media);
    }
  }

  /** An answer to a new offer with our current address; the o= version grows only if the SDP changed. */
  #answer(
    offer: string,
  ): { ok: true; sdp: string; media: MediaDescriptionSummary } | { ok: false; message: string } {
    const origin = readOrigin(this.#localSdp);
    if (!origin) return { ok: false, message: 'no local SDP' };
    const srtp = readLocalSrtp(this.#localSdp);
    const local = { ip: origin.ip, port: origin.port, sessionId: origin.sessionId, ...(srtp && { srtp }) };
    const same = buildAnswer(offer, { ...local, sessionVersion: origin.sessionVersion });
    if (!same.ok) return { ok: false, message: same.error.message };
    if (withoutOrigin(same.value.sdp) === withoutOrigin(this.#localSdp)) {
      return { ok: true, sdp: this.#localSdp, media: same.value.remote };
    }
    const next = buildAnswer(offer, { ...local, sessionVersion: origin.sessionVersion + 1 });
    if (!next.ok) return { ok: false, message: next.error.message };
    this.#localSdp = next.value.sdp;
    return { ok: true, sdp: next.value.sdp, media: next.value.remote };
  }

  onAck(request: SipRequest): void {
    if (this.#awaitingAck && request.cseq.seq === this.#awaitingAck.cseq) {
      this.#awaitingAck.stop();
      this.#awaitingAck = undefined;
      if (!this.#ended) this.#events.acked?.(request.cseq.seq);
    }
    // Late offer: the answer rides in the ACK (§13.2.1).
    if (request.body.length > 0 && !this.#ended) {
      const sdp = request.bodyText();
      const described = describeSdp(sdp);
      if (described.ok && sdp !== this.#remoteSdp) {
        this.#remoteSdp = sdp;
        this.#remoteMedia = described.value;
        this.#events.mediaUpdate(sdp, described.value);
      }
    }
  }

  onStray2xx(response: SipResponse): void {
    if (this.#ack && response.cseq.seq === this.#ack.cseq) {
      const hop = this.dialog.nextHop();
      if (hop.ok) this.#ua.transactions.resend(this.#ack.bytes, hop.endpoint);
    }
  }

  /** Handles a 2xx to a re-INVITE of ours: ACK it (and its retransmissions). */
  #ackReinvite(response: SipResponse): void {
    const hop = this.dialog.nextHop();
    if (!hop.ok) return;
    const ack = this.dialog.createRequest('ACK', { cseq: response.cseq.seq });
    this.#ack = { cseq: response.cseq.seq, bytes: this.#ua.sendAck(ack, hop.endpoint) };
  }

  /** RFC 4028 §7.4/§9: we are the refresher and half the interval passed. */
  #refresh(retried = false): void {
    if (this.#ended || this.#byeSent) return;
    const hop = this.dialog.nextHop();
    if (!hop.ok) return;
    const interval = this.#sessionTimer.interval || this.#ua.sessionTimer.expires || 1800;
    const method = this.#peerAllowsUpdate ? 'UPDATE' : 'INVITE';
    const request = this.dialog.createRequest(method, {
      contact: true,
      body: method === 'INVITE' ? this.#localSdp : undefined,
      headers: {
        'Session-Expires': `${interval};refresher=uac`,
        'Min-SE': String(this.#ua.sessionTimer.minSE),
        Supported: 'timer',
        Allow: this.#ua.capabilities.methods.join(', '),
        'User-Agent': this.#ua.userAgentHeader,
      },
    });
    const tx = this.#ua.transactions.sendRequest(request, hop.endpoint, {
      onResponse: (response) => {
        if (response.status < 200) return;
        if (method === 'INVITE') this.#pendingInvite = undefined;
        if (this.#ended) return;
        if (response.status < 300) {
          if (method === 'INVITE') this.#ackReinvite(response);
          this.dialog.refreshTarget(response);
          this.applySessionTimerFromResponse(response, interval);
        } else if (response.status === 408 || response.status === 481) {
          this.bye('session-refresh-failed');
        } else if (response.status === 491 && !retried) {
          // §14.1: glare; try again after a while (RFC 3261 suggests 2.1-4 s for the Call-ID owner)
          this.#sessionTimer.start(Math.max(2 * (2 + Math.random() * 2), 1), true);
        } else {
          this.#sessionTimer.start(interval, true);
        }
      },
      onTimeout: () => {
        if (method === 'INVITE') this.#pendingInvite = undefined;
        this.bye('session-refresh-failed');
      },
      onTransportError: () => {
        if (method === 'INVITE') this.#pendingInvite = undefined;
        this.bye('session-refresh-failed');
      },
    });
    if (method === 'INVITE') this.#pendingInvite = tx;
  }

  /** Sends BYE (§15.1.1); the session ends when it is answered or times out. False if already ending. */
  bye(reason = 'bye'): boolean {
    if (this.#ended || this.#byeSent) return false;
    this.#byeSent = true;
    this.#sessionTimer.stop();
    this.#awaitingAck?.stop();
    this.#awaitingAck = undefined;
    const hop = this.dialog.nextHop();
    if (!hop.ok) {
      this.end('local', reason);
      return true;
    }
    const request = this.dialog.createRequest('BYE', { headers: { 'User-Agent': this.#ua.userAgentHeader } });
    this.#ua.transactions.sendRequest(request, hop.endpoint, {
      onResponse: (response) => {
        if (response.status >= 200) this.end('local', reason);
      },
      onTimeout: () => this.end('local', reason),
      onTransportError: () => this.end('local', reason),
    });
    return true;
  }

  /** Ends the session at once (no BYE): timers stop, the dialog is forgotten. */
  end(by: EndedBy, reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#sessionTimer.stop();
    this.#awaitingAck?.stop();
    this.#awaitingAck = undefined;
    this.#ua.unregisterDialog(this.dialog.key);
    this.#events.ended(by, reason);
  }
}

function withoutOrigin(sdp: string): string {
  return sdp.replace(/^o=.*$/m, '');
}

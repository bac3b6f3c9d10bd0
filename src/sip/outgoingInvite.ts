import { EventEmitter } from 'node:events';
import type { CallFailure, CallFailureCode, EndedBy } from './callFailure.js';
import { Dialog } from './dialog.js';
import { DialogSession } from './dialogSession.js';
import { buildAuthorization, chooseChallenge, type DigestCredentials } from './digestAuth.js';
import { newCallId, newTag } from './ids.js';
import { createCancel } from './messageFactory.js';
import { NameAddr, parseNameAddr } from './nameAddr.js';
import { ReliableProvisionals } from './reliableProvisionals.js';
import { type MediaDescriptionSummary, parseAnswer } from './sdp.js';
import { SipHeaders } from './sipHeaders.js';
import { SipRequest, type SipResponse } from './sipMessage.js';
import { parseUri, type Uri, uriHost } from './sipUri.js';
import { reasonPhrase } from './statusReasons.js';
import { resolveTarget } from './targetResolver.js';
import type { Timer } from './timers.js';
import type { ClientTransaction } from './transactionLayer.js';
import type { Endpoint, TransportError, TransportProtocol } from './transport.js';
import type { UaChild, UaContext } from './uaContext.js';

export interface InviteOptions {
  /** Request-URI, e.g. `sip:+8613800000000@192.0.2.10:5060` (IP literal host; never a name). */
  target: string;
  /** Our SDP offer (build it with `buildOffer` from the RTP layer's address and port). */
  offer: string;
  /** From URI (default `sip:<contact user>@<our address>`). */
  from?: string;
  fromDisplayName?: string;
  /** To URI (default: the target). */
  to?: string;
  /** Outbound proxy URI (loose routing, RFC 3261 §8.1.2); requests go there with a Route header. */
  proxy?: string;
  /**
   * Next hops in order, located beforehand (RFC 3263, `locateSipServers`); the target's host may
   * then be a name. On a timeout, a transport error or a 503 the next hop gets the INVITE (§4.3).
   */
  hops?: readonly Endpoint[];
  /** Transport when the URI does not name one (default udp). */
  transport?: TransportProtocol;
  /** Digest credentials for a 401/407 challenge (one authenticated retry). */
  credentials?: DigestCredentials;
  /** Extra headers (e.g. P-Asserted-Identity). */
  headers?: Record<string, string>;
  /** Give up (CANCEL, or abandon before any provisional) when no final answer came in time. */
  setupTimeoutMs?: number;
  callId?: string;
}

export type OutgoingInviteState = 'calling' | 'proceeding' | 'cancelling' | 'answered' | 'failed' | 'ended';

export interface OutgoingInviteEvents {
  /** Every provisional response (100 included); `remoteSdp` when it carried SDP. */
  progress: [status: number, reason: string, remoteSdp: string | undefined];
  /** A provisional response (183) with SDP: early media from `media`. */
  'early-media': [sdp: string, media: MediaDescriptionSummary | undefined];
  answered: [sdp: string, media: MediaDescriptionSummary];
  /** The call never got answered (exactly once, terminal). */
  failed: [cause: CallFailure];
  /** An answered call ended (exactly once, terminal). */
  ended: [by: EndedBy, reason: string];
  /** The peer changed the media with a re-INVITE/UPDATE. */
  'media-update': [sdp: string, media: MediaDescriptionSummary];
  /** A hop failed (timeout, transport error, 503) and the next one gets the INVITE (RFC 3263 §4.3). */
  'next-hop': [failed: Endpoint, reason: string, next: Endpoint];
}

/**
 * One call we place (UAC, RFC 3261 §13.2): INVITE with our offer, provisional responses and early
 * media, ACK for 2xx (and for its retransmissions), failure causes for 3xx-6xx, CANCEL (including
 * the 200-after-CANCEL race: ACK then BYE), digest authentication, RFC 4028 422 retry. Once
 * answered, a `DialogSession` handles the established call.
 *
 * Terminal events: `failed` (never answered) or `ended` (after `answered`), exactly one of them.
 */
export class OutgoingInvite extends EventEmitter<OutgoingInviteEvents> implements UaChild {
  readonly callId: string;
  readonly #ua: UaContext;
  readonly #options: InviteOptions;
  readonly #localTag = newTag();
  #state: OutgoingInviteState = 'calling';
  #invite: SipRequest | undefined;
  #tx: ClientTransaction | undefined;
  #nextHop: Endpoint | undefined;
  #hopsLeft: Endpoint[] = [];
  #proxy: Uri | undefined;
  #cseq = 1;
  #authAttempts = 0;
  #sessionRetry = false;
  #sessionExpires: number;
  #cancelWanted: CallFailureCode | undefined;
  #cancelTimer: Timer | undefined;
  #setupTimer: Timer | undefined;
  #earlySdp: string | undefined;
  #session: DialogSession | undefined;
  readonly #reliable: ReliableProvisionals;

  constructor(ua: UaContext, options: InviteOptions) {
    super();
    this.#ua = ua;
    this.#options = options;
    this.callId = options.callId ?? newCallId();
    this.#sessionExpires = ua.sessionTimer.expires;
    this.#reliable = new ReliableProvisionals(ua);
  }

  get state(): OutgoingInviteState {
    return this.#state;
  }

  /** The established session (after `answered`). */
  get session(): DialogSession | undefined {
    return this.#session;
  }

  /** Where the INVITE went last (the hop that answered, once answered). */
  get nextHop(): Endpoint | undefined {
    return this.#nextHop;
  }

  /** Sends the INVITE. Problems with the target are reported through `failed`, asynchronously. */
  start(): void {
    this.#ua.adopt(this);
    const target = parseUri(this.#options.target);
    const proxy = this.#options.proxy === undefined ? undefined : parseUri(this.#options.proxy);
    if (!target || (this.#options.proxy !== undefined && !proxy)) {
      queueMicrotask(() => this.#fail('bad-target', 400, 'Malformed target URI'));
      return;
    }
    const [first, ...rest] = this.#options.hops ?? [];
    const hop = first
      ? { ok: true as const, endpoint: first }
      : resolveTarget(proxy ?? target, this.#options.transport ?? 'udp');
    if (!hop.ok) {
      const message = hop.message;
      queueMicrotask(() => this.#fail('bad-target', 400, message));
      return;
    }
    this.#nextHop = hop.endpoint;
    this.#hopsLeft = rest;
    if (this.#options.setupTimeoutMs) {
      this.#setupTimer = this.#ua.timers.set(this.#options.setupTimeoutMs, () => this.#onSetupTimeout());
    }
    this.#proxy = proxy;
    this.#invite = this.#buildInvite(target, proxy);
    this.#send(this.#invite);
  }

  #buildInvite(target: Uri, proxy: Uri | undefined): SipRequest {
    const { protocol, address: toward } = this.#nextHop!;
    const local = this.#ua.localEndpoint(protocol, toward);
    const host = local ? uriHost(local.address) : '127.0.0.1';
    const fromUri = parseUri(this.#options.from ?? `sip:${this.#ua.contactUser}@${host}`) ?? target;
    const from = new NameAddr(fromUri, undefined, this.#options.fromDisplayName);
    from.tag = this.#localTag;
    const to = this.#options.to
      ? (parseNameAddr(this.#options.to) ?? new NameAddr(target))
      : new NameAddr(target);
    const headers = new SipHeaders();
    headers.set('Max-Forwards', '70');
    headers.set('From', from.toString());
    headers.set('To', to.toString());
    headers.set('Call-ID', this.callId);
    headers.set('CSeq', `${this.#cseq} INVITE`);
    headers.set('Contact', this.#ua.contact(protocol, toward, target.scheme === 'sips'));
    if (proxy && 'params' in proxy) {
      const route = proxy.clone();
      route.params.set('lr');
      headers.set('Route', `<${route.toString()}>`);
    }
    headers.set('Allow', this.#ua.capabilities.methods.join(', '));
    // RFC 3262: carriers send 183 with Require: 100rel; we PRACK them.
    headers.set('Supported', '100rel, timer');
    if (this.#sessionExpires > 0) {
      headers.set('Session-Expires', String(this.#sessionExpires));
      headers.set('Min-SE', String(this.#ua.sessionTimer.minSE));
    }
    headers.set('User-Agent', this.#ua.userAgentHeader);
    for (const [name, value] of Object.entries(this.#options.headers ?? {})) headers.set(name, value);
    headers.set('Content-Type', 'application/sdp');
    return new SipRequest('INVITE', target, headers, Buffer.from(this.#options.offer));
  }

  #send(invite: SipRequest): void {
    this.#tx = this.#ua.transactions.sendRequest(invite, this.#nextHop!, {
      onResponse: (r) => this.#onResponse(r),
      onTimeout: () =>
        this.#tryNextHop('timeout') || this.#fail(this.#cancelWanted ?? 'timeout', 408, 'Request Timeout'),
      onTransportError: (e: TransportError) =>
        this.#tryNextHop(e.message) || this.#fail('transport-error', 503, e.message),
    });
  }

  /** RFC 3263 §4.3: the same request (new branch) to the next hop; false when there is none. */
  #tryNextHop(reason: string): boolean {
    const next = this.#hopsLeft.shift();
    if (!next || this.#cancelWanted || (this.#state !== 'calling' && this.#state !== 'proceeding'))
      return false;
    const failed = this.#nextHop!;
    this.#nextHop = next;
    this.#state = 'calling';
    this.#authAttempts = 0;
    this.emit('next-hop', failed, reason, next);
    const previous = this.#invite!;
    const invite = this.#buildInvite(previous.uri, this.#proxy);
    invite.headers.set('CSeq', `${this.#cseq} INVITE`);
    this.#invite = invite;
    this.#send(invite);
    return true;
  }

  /** A new INVITE in the same dialog attempt (auth or 422 retry): CSeq+1, new branch (§8.1.3.5, §22.2). */
  #resend(change: (headers: SipHeaders) => void): void {
    const previous = this.#invite!;
    const invite = previous.clone();
    this.#cseq++;
    invite.headers.delete('Via');
    invite.headers.set('CSeq', `${this.#cseq} INVITE`);
    change(invite.headers);
    this.#invite = invite;
    this.#send(invite);
  }

  #onResponse(response: SipResponse): void {
    if (this.#state === 'failed' || this.#state === 'ended') {
      if (response.status >= 200 && response.status < 300) this.#ackAndBye(response);
      return;
    }
    if (response.cseq.seq !== this.#cseq) return; // a late response to an earlier attempt
    const status = response.status;
    if (status < 200) {
      this.#onProvisional(response);
      return;
    }
    if (status < 300) {
      this.#onSuccess(response);
      return;
    }
    if ((status === 401 || status === 407) && this.#retryWithCredentials(response)) return;
    if (status === 422 && this.#retryWithLargerInterval(response)) return;
    if (status === 503 && this.#tryNextHop(`503 ${response.reason}`)) return;
    const code: CallFailureCode =
      this.#cancelWanted ?? (status === 401 || status === 407 ? 'auth-failed' : 'rejected');
    this.#fail(code, status, response.reason || reasonPhrase(status));
  }

  #onProvisional(response: SipResponse): void {
    const { protocol, address } = this.#nextHop!;
    const verdict = this.#reliable.receive(
      response,
      this.#invite!.uri,
      this.#ua.contact(protocol, address),
      protocol,
    );
    if (verdict === 'discard') return; // RFC 3262 §4: a retransmission, or out of order
    if (this.#state === 'calling') this.#state = 'proceeding';
    const sdp =
      response.body.length > 0 && response.contentType() === 'application/sdp'
        ? response.bodyText()
        : undefined;
    this.emit('progress', response.status, response.reason, sdp);
    if (sdp !== undefined) {
      this.#earlySdp = sdp;
      const media = parseAnswer(sdp, undefined, this.#options.offer);
      this.emit('early-media', sdp, media.ok ? media.value : undefined);
    }
    if (this.#cancelWanted && this.#state === 'proceeding') this.#sendCancel();
  }

  #onSuccess(response: SipResponse): void {
    if (this.#state === 'answered') {
      // A second 2xx: a forked leg (different To tag) or a retransmission the session ACKs.
      if (response.to.tag !== this.#session?.dialog.remoteTag) this.#ackAndBye(response);
      else this.#session?.onStray2xx(response);
      return;
    }
    this.#clearSetupTimers();
    if (this.#cancelWanted) {
      // §9.1 race: the 2xx crossed our CANCEL. The call exists now; ACK it and hang up.
      this.#ackAndBye(response);
      this.#fail(this.#cancelWanted, response.status, response.reason);
      return;
    }
    const invite = this.#invite!;
    const dialog = Dialog.asUac(
      response,
      invite.uri,
      this.#ua.contact(this.#nextHop!.protocol, this.#nextHop!.address, invite.uri.scheme === 'sips'),
      this.#nextHop!.protocol,
    );
    dialog.connectionId = this.#tx?.connectionId;
    dialog.tls = this.#nextHop!.tls;
    // PRACKs in the early dialog used CSeq numbers after the INVITE's; the BYE comes after them.
    dialog.localSeq = Math.max(dialog.localSeq, this.#reliable.localSeqFor(response.to.tag) ?? 0);
    const sdp = response.body.length > 0 ? response.bodyText() : this.#earlySdp;
    const media = sdp === undefined ? undefined : parseAnswer(sdp, undefined, this.#options.offer);
    const session = new DialogSession(
      this.#ua,
      dialog,
      this.#options.offer,
      { sdp, media: media?.ok ? media.value : undefined, allow: response.allow() },
      {
        ended: (by, reason) => this.#onEnded(by, reason),
        mediaUpdate: (s, m) => this.emit('media-update', s, m),
      },
    );
    this.#session = session;
    this.#state = 'answered';
    this.#sendAck(session, response);
    if (!media?.ok || sdp === undefined) {
      // §13.2.1: an answer we cannot use; the call is torn down.
      this.#state = 'failed';
      session.bye('bad-answer');
      this.#finish();
      this.emit('failed', {
        code: 'bad-answer',
        status: 488,
        reason: media && !media.ok ? media.error.message : 'No SDP answer',
      });
      return;
    }
    session.applySessionTimerFromResponse(response);
    this.emit('answered', sdp, media.value);
  }

  #sendAck(session: DialogSession, response: SipResponse): void {
    const hop = session.dialog.nextHop();
    if (!hop.ok) return;
    const ack = session.dialog.createRequest('ACK', { cseq: response.cseq.seq });
    session.rememberAck(response.cseq.seq, this.#ua.sendAck(ack, hop.endpoint));
  }

  /** ACK a 2xx we do not want and BYE the dialog it created (§13.2.2.4, §15). */
  #ackAndBye(response: SipResponse): void {
    this.#ua.ackAndBye(response, this.#invite?.uri, this.#nextHop?.protocol ?? 'udp');
  }

  #retryWithCredentials(response: SipResponse): boolean {
    const credentials = this.#options.credentials;
    if (!credentials) return false;
    const header = response.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    const challenge = chooseChallenge(response.headers.getAll(header));
    // One authenticated retry; a second one only when the server says our nonce went stale.
    if (!challenge || this.#authAttempts >= (challenge.stale ? 2 : 1)) return false;
    this.#authAttempts++;
    const authorization = buildAuthorization({
      challenge,
      credentials,
      method: 'INVITE',
      uri: this.#invite!.uri.toString(),
      nc: 1,
    });
    this.#resend((h) =>
      h.set(response.status === 407 ? 'Proxy-Authorization' : 'Authorization', authorization),
    );
    return true;
  }

  /** RFC 4028 §7.4: 422 carries the smallest interval the peer takes; retry once with it. */
  #retryWithLargerInterval(response: SipResponse): boolean {
    const minSE = response.minSE();
    if (this.#sessionRetry || minSE === undefined) return false;
    this.#sessionRetry = true;
    this.#sessionExpires = Math.max(minSE, this.#sessionExpires);
    this.#resend((h) => {
      h.set('Session-Expires', String(this.#sessionExpires));
      h.set('Min-SE', String(minSE));
    });
    return true;
  }

  #onSetupTimeout(): void {
    this.#setupTimer = undefined;
    if (this.#state === 'calling') {
      // §9.1: no CANCEL before a provisional response; stop retransmitting and give up.
      this.#tx?.terminate();
      this.#fail('timeout', 408, 'Request Timeout');
    } else if (this.#state === 'proceeding') {
      this.#requestCancel('timeout');
    }
  }

  /**
   * Cancels a call that is not answered yet (§9.1). Before any provisional response the CANCEL
   * waits for one. Returns false when there is nothing to cancel (answered or over).
   */
  cancel(): boolean {
    if (this.#state !== 'calling' && this.#state !== 'proceeding') return false;
    this.#requestCancel('cancelled');
    return true;
  }

  #requestCancel(code: CallFailureCode): void {
    this.#cancelWanted ??= code;
    if (this.#state === 'proceeding') this.#sendCancel();
  }

  #sendCancel(): void {
    const invite = this.#invite;
    if (!invite || !this.#nextHop || this.#state === 'cancelling') return;
    this.#state = 'cancelling';
    const cancel = createCancel(invite, { 'User-Agent': this.#ua.userAgentHeader });
    this.#ua.transactions.sendRequest(cancel, this.#nextHop, {
      onResponse: () => {},
      onTimeout: () => {},
      onTransportError: () => {},
    });
    // §9.1: without a final response 64*T1 after the CANCEL, the INVITE is considered cancelled.
    this.#cancelTimer = this.#ua.timers.set(64 * this.#ua.config.t1, () => {
      this.#cancelTimer = undefined;
      this.#tx?.terminate();
      this.#fail(this.#cancelWanted ?? 'cancelled', 487, 'Request Terminated');
    });
  }

  /** Sends BYE on an answered call; false when not answered (use `cancel`) or already ending. */
  bye(): boolean {
    return this.#state === 'answered' && (this.#session?.bye() ?? false);
  }

  /** Cancel or BYE, whichever applies. */
  hangup(): boolean {
    return this.cancel() || this.bye();
  }

  /** UA shutdown: best-effort CANCEL/BYE, then terminal event at once. */
  terminate(reason: string): void {
    if (this.#state === 'answered') {
      this.#session?.bye(reason);
      this.#session?.end('local', reason);
    } else if (this.#state !== 'failed' && this.#state !== 'ended') {
      this.#tx?.terminate();
      this.#fail('ua-closed', 503, reason);
    }
  }

  #onEnded(by: EndedBy, reason: string): void {
    if (this.#state === 'failed') return; // bad-answer teardown: already reported
    this.#state = 'ended';
    this.#finish();
    this.emit('ended', by, reason);
  }

  #fail(code: CallFailureCode, status: number, reason: string): void {
    if (this.#state === 'failed' || this.#state === 'ended' || this.#state === 'answered') return;
    this.#state = 'failed';
    this.#finish();
    this.emit('failed', { code, status, reason });
  }

  #clearSetupTimers(): void {
    this.#setupTimer = this.#ua.timers.clear(this.#setupTimer);
    this.#cancelTimer = this.#ua.timers.clear(this.#cancelTimer);
  }

  #finish(): void {
    this.#clearSetupTimers();
    this.#ua.release(this);
  }
}

import { NameAddr } from './nameAddr.js';
import { SipHeaders } from './sipHeaders.js';
import { SipRequest, type SipResponse } from './sipMessage.js';
import type { Uri } from './sipUri.js';
import { resolveTarget, type TargetResult } from './targetResolver.js';
import type { TlsClientProfile, TransportProtocol } from './transport.js';

export interface DialogRequestOptions {
  body?: Buffer | string;
  contentType?: string;
  headers?: Record<string, string | readonly string[]>;
  /** CSeq number to use instead of the next one (ACK and CANCEL reuse the INVITE's). */
  cseq?: number;
  /** Add our Contact (dialog-creating and target refresh requests, §12.2.1.1). */
  contact?: boolean;
}

/**
 * Dialog state (RFC 3261 §12): Call-ID, tags, sequence numbers, remote target and route set, and
 * the construction of in-dialog requests (§12.2.1.1). A dialog owns no timer or socket: the call
 * that created it decides when it ends.
 */
export class Dialog {
  readonly callId: string;
  /** Our party with our tag (From of requests we send). */
  readonly local: NameAddr;
  /** The peer with its tag (To of requests we send). */
  readonly remote: NameAddr;
  localSeq: number;
  remoteSeq: number | undefined;
  remoteTarget: Uri;
  /** Route set, in the order requests carry it (§12.1.1/§12.1.2). */
  readonly routeSet: NameAddr[];
  readonly localContact: string;
  /** Transport to use when the next hop's URI does not say (the transport the dialog started on). */
  readonly protocol: TransportProtocol;
  /**
   * TCP/TLS: the connection the dialog started on (the INVITE came in on it, or ours went out on
   * it). In-dialog requests go on it while it is open (RFC 3261 §18, RFC 5923 reuse), whatever
   * address the remote target or route names.
   */
  connectionId: number | undefined;
  /**
   * TLS: how a new connection must check the peer when that one has closed (the trunk's name and
   * trust for a dialog we started). Absent: the address is checked (IP SAN).
   */
  tls: TlsClientProfile | undefined;

  constructor(init: {
    callId: string;
    local: NameAddr;
    remote: NameAddr;
    localSeq: number;
    remoteSeq: number | undefined;
    remoteTarget: Uri;
    routeSet: NameAddr[];
    localContact: string;
    protocol: TransportProtocol;
  }) {
    this.callId = init.callId;
    this.local = init.local;
    this.remote = init.remote;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localContact = init.localContact;
    this.protocol = init.protocol;
  }

  get localTag(): string {
    return this.local.tag ?? '';
  }

  get remoteTag(): string {
    return this.remote.tag ?? '';
  }

  /** Map key shared by both sides: Call-ID, our tag, their tag. */
  get key(): string {
    return Dialog.key(this.callId, this.localTag, this.remoteTag);
  }

  static key(callId: string, localTag: string, remoteTag: string): string {
    return callId + '\n' + localTag + '\n' + remoteTag;
  }

  /**
   * §12.1.2: the UAC side, from a 2xx (or 1xx with To tag) to our INVITE. Everything needed is in
   * the response (it echoes our From, Call-ID and CSeq), so a stray 2xx can be ACKed the same way;
   * `fallbackTarget` (the Request-URI) is used when the response has no Contact.
   */
  static asUac(
    response: SipResponse,
    fallbackTarget: Uri,
    localContact: string,
    protocol: TransportProtocol,
  ): Dialog {
    const routes = (response.recordRoutes() ?? []).slice().reverse();
    const contact = response.contacts()?.[0];
    return new Dialog({
      callId: response.callId,
      local: response.from.clone(),
      remote: response.to.clone(),
      localSeq: response.cseq.seq,
      remoteSeq: undefined,
      remoteTarget: contact?.uri ?? fallbackTarget,
      routeSet: routes,
      localContact,
      protocol,
    });
  }

  /** §12.1.1: the UAS side, from a received INVITE and the tag we put in To. */
  static asUas(
    invite: SipRequest,
    localTag: string,
    localContact: string,
    protocol: TransportProtocol,
  ): Dialog {
    const local = invite.to.clone();
    local.tag = localTag;
    const contact = invite.contacts()?.[0];
    return new Dialog({
      callId: invite.callId,
      local,
      remote: invite.from.clone(),
      localSeq: Math.floor(Math.random() * 10_000) + 1,
      remoteSeq: invite.cseq.seq,
      remoteTarget: contact?.uri ?? invite.from.uri,
      routeSet: invite.recordRoutes() ?? [],
      localContact,
      protocol,
    });
  }

  /** §12.2.2: a request with a lower CSeq than the last one is out of order (answer 500). */
  acceptRemoteCSeq(request: SipRequest): boolean {
    const seq = request.cseq.seq;
    if (request.method === 'ACK' || request.method === 'CANCEL') return true;
    if (this.remoteSeq !== undefined && seq <= this.remoteSeq) return false;
    this.remoteSeq = seq;
    return true;
  }

  /** Target refresh (§12.2): a re-INVITE/UPDATE or its 2xx may move the remote target. */
  refreshTarget(message: SipRequest | SipResponse): void {
    const contact = message.contacts()?.[0];
    if (contact) this.remoteTarget = contact.uri;
  }

  /**
   * Where in-dialog requests go: the first route (loose routing), else the remote target; over the
   * dialog's transport, on its connection while that is open, checked with its TLS profile.
   */
  nextHop(): TargetResult {
    const first = this.routeSet[0];
    const hop = resolveTarget(first ? first.uri : this.remoteTarget, this.protocol);
    if (!hop.ok || hop.endpoint.protocol !== this.protocol || this.protocol === 'udp') return hop;
    const endpoint = { ...hop.endpoint };
    if (this.connectionId !== undefined) endpoint.connectionId = this.connectionId;
    if (this.tls && this.protocol === 'tls') endpoint.tls = this.tls;
    return { ok: true, endpoint };
  }

  /** Builds an in-dialog request (§12.2.1.1); loose routing, or strict routing when the first route lacks `lr`. */
  createRequest(method: string, options: DialogRequestOptions = {}): SipRequest {
    const seq = options.cseq ?? (method === 'ACK' || method === 'CANCEL' ? this.localSeq : ++this.localSeq);
    const headers = new SipHeaders();
    let requestUri: Uri = this.remoteTarget;
    let routes = this.routeSet.map((r) => r.toString());
    const first = this.routeSet[0];
    if (first && 'params' in first.uri && !first.uri.params.has('lr')) {
      requestUri = first.uri;
      routes = [
        ...this.routeSet.slice(1).map((r) => r.toString()),
        new NameAddr(this.remoteTarget).toString(),
      ];
    }
    headers.set('Max-Forwards', '70');
    headers.set('From', this.local.toString());
    headers.set('To', this.remote.toString());
    headers.set('Call-ID', this.callId);
    headers.set('CSeq', `${seq} ${method}`);
    if (routes.length > 0) headers.set('Route', routes);
    if (options.contact) headers.set('Contact', this.localContact);
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
    let body: Buffer | undefined;
    if (options.body !== undefined && options.body.length > 0) {
      body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
      headers.set('Content-Type', options.contentType ?? 'application/sdp');
    }
    return new SipRequest(method, requestUri, headers, body);
  }
}

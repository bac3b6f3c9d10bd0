import { EventEmitter } from 'node:events';
import type { Clock } from '../clock/clock.js';
import { type Logger, silentLogger } from '../observability/logger.js';
import { Dialog } from './dialog.js';
import { newBranch, newCallId, newTag } from './ids.js';
import { IncomingInvite } from './incomingInvite.js';
import { createResponse } from './messageFactory.js';
import { type InviteOptions, OutgoingInvite } from './outgoingInvite.js';
import { type UasCapabilities, validateRequest } from './requestValidator.js';
import type { ServerInviteTransaction } from './serverInviteTransaction.js';
import { SipHeaders } from './sipHeaders.js';
import { SipRequest, type SipResponse } from './sipMessage.js';
import { parseUri, SipUri, type Uri, uriHost } from './sipUri.js';
import { resolveTarget } from './targetResolver.js';
import { type SipTimerConfig, Timers } from './timers.js';
import type { TlsSettings } from './tlsTransport.js';
import { type ServerTransaction, TransactionLayer, type TransactionUser } from './transactionLayer.js';
import type {
  Endpoint,
  Inbound,
  TlsClientProfile,
  TransportCounters,
  TransportLimits,
  TransportProtocol,
} from './transport.js';
import { TransportLayer } from './transportLayer.js';
import type { DialogUser, SessionTimerSettings, UaChild, UaContext } from './uaContext.js';
import { Via } from './via.js';

export interface SipUserAgentOptions {
  /** IP literal to bind (default 127.0.0.1). Host names are refused: nothing is ever resolved. */
  address?: string;
  /**
   * Address for Via/Contact when peers must use another one than the bound (NAT). Without it a
   * wildcard bind (0.0.0.0, ::) writes the source address the OS routes toward each peer.
   */
  advertisedAddress?: string | undefined;
  /** UDP port (0 = any free one, false = no UDP). Default 0. */
  udpPort?: number | false;
  /** TCP port (0 = any free one, false = no TCP). Default 0. */
  tcpPort?: number | false;
  /**
   * SIP over TLS. Outgoing TLS always works (server checked against node's default CAs plus
   * `tls.client.ca`); a listener needs `tls.port` and `tls.server` (certificate and key).
   */
  tls?: TlsSettings;
  /** User part of our Contact and default From (default `smartcall`). */
  user?: string;
  /** T1/T2/T4 in ms (tests shrink them). */
  timers?: Partial<SipTimerConfig>;
  clock?: Clock;
  limits?: Partial<TransportLimits>;
  sessionTimer?: Partial<SessionTimerSettings>;
  userAgentHeader?: string;
  logger?: Logger;
  /**
   * Who may open a call to us. Refused INVITEs get 403 before any call or dialog exists and are
   * counted in `stats().refusedInvites`. Without a gate every well-formed INVITE is offered.
   */
  admitInvite?: InviteGate;
}

/** Decides whether an out-of-dialog INVITE from `source` may become a call. */
export type InviteGate = (request: SipRequest, source: Endpoint) => boolean;

export interface SipUserAgentEvents {
  /** A new call offered to us; answer it, reject it or let it ring. Unhandled calls get 480. */
  incoming: [call: IncomingInvite];
}

/** The final answer to an out-of-dialog non-INVITE request, or why none came. */
export type RequestOutcome =
  | { ok: true; response: SipResponse }
  | { ok: false; code: 'timeout' | 'transport-error'; message: string };

export type OptionsResult =
  | { ok: true; status: number; reason: string; rttMs: number }
  | { ok: false; code: 'timeout' | 'transport-error' | 'bad-target'; message: string };

export interface SipStats {
  calls: number;
  dialogs: number;
  transactions: { client: number; server: number };
  timers: number;
  tcpConnections: number;
  tlsConnections: number;
  /** Out-of-dialog INVITEs the gate refused (403). */
  refusedInvites: number;
  transport: TransportCounters;
}

const METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'UPDATE', 'INFO'];

/**
 * The SIP user agent: owns the transports (sockets), the transaction layer (timers) and every call.
 * `invite()` places calls, `incoming` offers calls, `sendOptions()` pings. `close()` ends every call
 * (best-effort BYE/CANCEL), terminates every transaction and closes the sockets.
 */
export class SipUserAgent extends EventEmitter<SipUserAgentEvents> {
  readonly timers: Timers;
  readonly #transport: TransportLayer;
  readonly #transactions: TransactionLayer;
  readonly #log: Logger;
  readonly #user: string;
  readonly #dialogs = new Map<string, DialogUser>();
  readonly #children = new Set<UaChild>();
  readonly #incomingByTx = new Map<ServerInviteTransaction, IncomingInvite>();
  /** Contact user parts registered on someone's behalf (`Registration`): user → label. */
  readonly #contactOwners = new Map<string, string>();
  readonly #ctx: UaContext;
  readonly #admitInvite: InviteGate | undefined;
  #refusedInvites = 0;
  #closed = false;
  /** Set while the node drains: new calls and OPTIONS get 503 with this Retry-After. */
  #unavailableFor: number | undefined;

  private constructor(options: SipUserAgentOptions) {
    super();
    this.#log = options.logger ?? silentLogger();
    this.#user = options.user ?? 'smartcall';
    this.#admitInvite = options.admitInvite;
    this.timers = new Timers(options.clock);
    this.#transport = new TransportLayer({
      address: options.address ?? '127.0.0.1',
      ...(options.advertisedAddress ? { advertisedAddress: options.advertisedAddress } : {}),
      udpPort: options.udpPort ?? 0,
      tcpPort: options.tcpPort ?? 0,
      ...(options.tls && { tls: options.tls }),
      limits: options.limits ?? {},
      logger: this.#log,
    });
    this.#transactions = new TransactionLayer({
      transport: this.#transport,
      timers: this.timers,
      config: options.timers ?? {},
      logger: this.#log,
    });
    this.#transactions.setUser(this.#transactionUser());
    this.#ctx = this.#context(
      {
        expires: options.sessionTimer?.expires ?? 1800,
        minSE: options.sessionTimer?.minSE ?? 90,
      },
      options.userAgentHeader ?? 'smartcall',
    );
  }

  /** Creates a user agent and binds its sockets. */
  static async create(options: SipUserAgentOptions = {}): Promise<SipUserAgent> {
    const ua = new SipUserAgent(options);
    try {
      await ua.#transport.listen();
    } catch (err) {
      await ua.#transport.close();
      throw err;
    }
    return ua;
  }

  /** Our address for a transport (as `toward` sees it); undefined when that transport is disabled. */
  localEndpoint(protocol: TransportProtocol, toward?: string): Endpoint | undefined {
    return this.#transport.localEndpoint(protocol, toward);
  }

  /**
   * Learns our address toward each peer IP (only a wildcard bind without an advertised address has
   * anything to learn). Call before building messages for a new peer outside `invite()`'s caller,
   * which `OutboundCall` does; in-dialog peers are learned when their first message arrives.
   */
  async learnRoutes(addresses: readonly string[]): Promise<void> {
    await Promise.all(addresses.map((a) => this.#transport.learnRoute(a)));
  }

  get timerConfig(): SipTimerConfig {
    return this.#transactions.config;
  }

  /** Places a call. Listen for `failed` / `answered` / `ended` on the result. */
  invite(options: InviteOptions): OutgoingInvite {
    const call = new OutgoingInvite(this.#ctx, options);
    if (this.#closed) {
      queueMicrotask(() => call.terminate('ua-closed'));
      return call;
    }
    call.start();
    return call;
  }

  /** Out-of-dialog OPTIONS (keep-alive, RFC 3261 §11). Any final response means the peer is alive. */
  sendOptions(
    target: string,
    transport: TransportProtocol = 'udp',
    tls?: TlsClientProfile,
  ): Promise<OptionsResult> {
    const uri = parseUri(target);
    const hop = uri ? resolveTarget(uri, transport) : undefined;
    if (!uri || !hop?.ok) {
      return Promise.resolve({
        ok: false,
        code: 'bad-target',
        message: hop && !hop.ok ? hop.message : 'malformed URI',
      });
    }
    return this.#transport
      .learnRoute(hop.endpoint.address)
      .then(() => this.#sendOptions(uri, hop.endpoint, tls));
  }

  #sendOptions(uri: Uri, target: Endpoint, tls?: TlsClientProfile): Promise<OptionsResult> {
    const headers = new SipHeaders();
    const local = this.#transport.localEndpoint(target.protocol, target.address);
    headers.set('Max-Forwards', '70');
    headers.set(
      'From',
      `<sip:${this.#user}@${local ? uriHost(local.address) : '127.0.0.1'}>;tag=${newTag()}`,
    );
    headers.set('To', `<${uri.toString()}>`);
    headers.set('Call-ID', newCallId());
    headers.set('CSeq', '1 OPTIONS');
    headers.set('Contact', this.#ctx.contact(target.protocol, target.address));
    headers.set('Accept', 'application/sdp');
    headers.set('User-Agent', this.#ctx.userAgentHeader);
    const request = new SipRequest('OPTIONS', uri, headers);
    const started = this.timers.clock.now();
    return new Promise((resolve) => {
      const endpoint = tls && target.protocol === 'tls' ? { ...target, tls } : target;
      this.#transactions.sendRequest(request, endpoint, {
        onResponse: (r) => {
          if (r.status >= 200)
            resolve({
              ok: true,
              status: r.status,
              reason: r.reason,
              rttMs: this.timers.clock.now() - started,
            });
        },
        onTimeout: () => resolve({ ok: false, code: 'timeout', message: 'no response (Timer F)' }),
        onTransportError: (e) => resolve({ ok: false, code: 'transport-error', message: e.message }),
      });
    });
  }

  /**
   * Sends an out-of-dialog non-INVITE request (REGISTER) that the caller built (Via is added) and
   * resolves with its final response. Provisional responses are ignored.
   */
  request(request: SipRequest, target: Endpoint): Promise<RequestOutcome> {
    if (this.#closed) return Promise.resolve({ ok: false, code: 'transport-error', message: 'ua closed' });
    return new Promise((resolve) => {
      this.#transactions.sendRequest(request, target, {
        onResponse: (response) => {
          if (response.status >= 200) resolve({ ok: true, response });
        },
        onTimeout: () => resolve({ ok: false, code: 'timeout', message: 'no response (Timer F)' }),
        onTransportError: (e) => resolve({ ok: false, code: 'transport-error', message: e.message }),
      });
    });
  }

  /**
   * Keeps the TCP/TLS connection to `target` open (no idle close, TCP keep-alives) until the
   * release is called: a registration's flow, on which the registrar sends us INVITEs.
   * `onClose` hears when it closes anyway. Undefined for UDP or when no connection is open.
   */
  holdFlow(target: Endpoint, onClose: () => void): (() => void) | undefined {
    return this.#transport.holdConnection(target, onClose);
  }

  /** Our Contact with another user part (a registration's binding), as `toward` reaches us. */
  contactFor(protocol: TransportProtocol, user: string, toward?: string, sips = false): string {
    return this.#contact(protocol, user, toward, sips);
  }

  /**
   * INVITEs whose Request-URI user is `user` (a registered Contact) are marked with `label`
   * (`IncomingInvite.registration`). Returns the release function.
   */
  claimContact(user: string, label: string): () => void {
    this.#contactOwners.set(user, label);
    return () => {
      if (this.#contactOwners.get(user) === label) this.#contactOwners.delete(user);
    };
  }

  /** Counts for leak checks and metrics. */
  /**
   * While `retryAfterSeconds` is set, out-of-dialog INVITEs and OPTIONS are answered 503 with that
   * Retry-After: the node is draining, so a dispatcher's OPTIONS ping takes it out and new calls go
   * elsewhere. Requests inside existing dialogs (ACK, BYE, re-INVITE) go on as before. `undefined`
   * takes calls again.
   */
  refuseNewCalls(retryAfterSeconds: number | undefined): void {
    this.#unavailableFor =
      retryAfterSeconds === undefined ? undefined : Math.max(0, Math.round(retryAfterSeconds));
  }

  stats(): SipStats {
    return {
      calls: this.#children.size,
      dialogs: this.#dialogs.size,
      transactions: { client: this.#transactions.clientCount, server: this.#transactions.serverCount },
      timers: this.timers.active,
      tcpConnections: this.#transport.tcpConnections,
      tlsConnections: this.#transport.tlsConnections,
      refusedInvites: this.#refusedInvites,
      transport: { ...this.#transport.counters },
    };
  }

  /** Ends every call (best-effort BYE/CANCEL), terminates transactions and timers, closes sockets. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const child of [...this.#children]) child.terminate('ua-closed');
    // Give the best-effort BYEs and CANCELs a moment to leave before the sockets close.
    await new Promise((resolve) => setImmediate(resolve));
    this.#transactions.clear();
    await this.#transport.close();
  }

  /**
   * Our Contact over a transport, as the peer at IP `toward` reaches us (wildcard binds). Over TLS:
   * `sips:` when the request went to a sips: URI (RFC 3261 §8.1.1.8), else `sip:…;transport=tls`
   * (RFC 5630 §3.2 deprecates it, carriers still expect it).
   */
  #contact(protocol: TransportProtocol, user = this.#user, toward?: string, sips = false): string {
    const local =
      this.#transport.localEndpoint(protocol, toward) ?? this.#transport.localEndpoint('udp', toward);
    if (!local) return `<sip:${user}@127.0.0.1>`;
    const host = uriHost(local.address);
    if (local.protocol === 'tls' && sips) return `<sips:${user}@${host}:${local.port}>`;
    return `<sip:${user}@${host}:${local.port}${local.protocol === 'udp' ? '' : ';transport=' + local.protocol}>`;
  }

  #sendAck(ack: SipRequest, target: Endpoint): Buffer {
    const local = this.#transport.localEndpoint(target.protocol, target.address);
    const via = new Via({
      transport: target.protocol,
      host: local ? uriHost(local.address) : '127.0.0.1',
      port: local?.port,
    });
    via.params.set('branch', newBranch()).set('rport');
    ack.headers.set('Via', via.toString());
    return this.#transactions.sendStateless(ack, target);
  }

  #ackAndBye(
    response: SipResponse,
    fallbackTarget: Uri | undefined,
    protocol: TransportProtocol,
    toward?: string,
  ): void {
    const fallback = fallbackTarget ?? response.to.uri;
    const dialog = Dialog.asUac(response, fallback, this.#contact(protocol, this.#user, toward), protocol);
    const hop = dialog.nextHop();
    if (!hop.ok) return;
    this.#sendAck(dialog.createRequest('ACK', { cseq: response.cseq.seq }), hop.endpoint);
    const noop = () => {};
    this.#transactions.sendRequest(dialog.createRequest('BYE'), hop.endpoint, {
      onResponse: noop,
      onTimeout: noop,
      onTransportError: noop,
    });
  }

  #context(sessionTimer: SessionTimerSettings, userAgentHeader: string): UaContext {
    const capabilities: UasCapabilities = {
      methods: METHODS,
      extensions: ['timer'],
      accept: ['application/sdp'],
    };
    return {
      transactions: this.#transactions,
      transport: this.#transport,
      timers: this.timers,
      config: this.#transactions.config,
      log: this.#log,
      sessionTimer,
      capabilities,
      userAgentHeader,
      contactUser: this.#user,
      contact: (protocol, toward, sips) => this.#contact(protocol, this.#user, toward, sips),
      localEndpoint: (protocol, toward) => this.#transport.localEndpoint(protocol, toward),
      sendAck: (ack, target) => this.#sendAck(ack, target),
      ackAndBye: (response, fallback, protocol) => this.#ackAndBye(response, fallback, protocol),
      registerDialog: (key, user) => this.#dialogs.set(key, user),
      unregisterDialog: (key) => this.#dialogs.delete(key),
      adopt: (child) => this.#children.add(child),
      release: (child) => {
        this.#children.delete(child);
        if (!(child instanceof IncomingInvite)) return;
        for (const [tx, call] of this.#incomingByTx) if (call === child) this.#incomingByTx.delete(tx);
      },
    };
  }

  #transactionUser(): TransactionUser {
    return {
      onRequest: (request, tx, inbound) => this.#onRequest(request, tx, inbound),
      onCancel: (request, tx, invite) => {
        const call = invite ? this.#incomingByTx.get(invite) : undefined;
        if (call) call.onCancel(request, tx);
        else tx.respond(createResponse(request, 481));
      },
      onAck: (request) => {
        const toTag = request.to.tag;
        const user =
          toTag === undefined
            ? undefined
            : this.#dialogs.get(Dialog.key(request.callId, toTag, request.from.tag ?? ''));
        user?.onAck(request);
      },
      onStrayResponse: (response, inbound) => this.#onStrayResponse(response, inbound),
    };
  }

  #onRequest(request: SipRequest, tx: ServerTransaction, inbound: Inbound): void {
    const respond = (status: number, headers?: Record<string, string>, reason?: string) =>
      tx.respond(
        createResponse(request, status, {
          toTag: newTag(),
          ...(headers ? { headers } : {}),
          ...(reason ? { reason } : {}),
        }),
      );
    if (this.#closed) {
      respond(503);
      return;
    }
    const rejection = validateRequest(request, this.#ctx.capabilities);
    if (rejection) {
      respond(rejection.status, rejection.headers, rejection.reason);
      return;
    }
    const toTag = request.to.tag;
    if (toTag !== undefined) {
      const user = this.#dialogs.get(Dialog.key(request.callId, toTag, request.from.tag ?? ''));
      if (user) user.onInDialogRequest(request, tx);
      else respond(481);
      return;
    }
    switch (request.method) {
      case 'INVITE':
        this.#onInvite(request, tx as ServerInviteTransaction, inbound);
        return;
      case 'OPTIONS':
        if (this.#unavailableFor !== undefined) {
          respond(503, { 'Retry-After': String(this.#unavailableFor) });
          return;
        }
        respond(200, { Allow: METHODS.join(', '), Accept: 'application/sdp', Supported: 'timer' });
        return;
      default:
        respond(481);
    }
  }

  #onInvite(request: SipRequest, tx: ServerInviteTransaction, inbound: Inbound): void {
    if (this.#admitInvite && !this.#admitInvite(request, inbound.source)) {
      // Nothing is kept but the transaction that retransmits the 403 until Timer H/I.
      this.#refusedInvites++;
      tx.respond(createResponse(request, 403, { toTag: newTag() }));
      return;
    }
    if (this.#unavailableFor !== undefined) {
      // Draining (RFC 3261 §21.5.4): the caller, or a dispatcher in front, tries another node.
      tx.respond(
        createResponse(request, 503, {
          toTag: newTag(),
          headers: { 'Retry-After': String(this.#unavailableFor) },
        }),
      );
      return;
    }
    const se = request.sessionExpires();
    const minSE = this.#ctx.sessionTimer.minSE;
    if (se && se.seconds < minSE) {
      // RFC 4028 §8.1: too small an interval is refused with our minimum.
      tx.respond(createResponse(request, 422, { toTag: newTag(), headers: { 'Min-SE': String(minSE) } }));
      return;
    }
    const call = new IncomingInvite(this.#ctx, request, tx, inbound);
    const user = request.uri instanceof SipUri ? request.uri.user : undefined;
    if (user !== undefined) call.registration = this.#contactOwners.get(user);
    this.#incomingByTx.set(tx, call);
    this.#log.debug({ sipCallId: request.callId }, 'sip incoming call');
    if (this.listenerCount('incoming') === 0) {
      call.reject(480);
      return;
    }
    this.emit('incoming', call);
  }

  #onStrayResponse(response: SipResponse, inbound: Inbound): void {
    if (response.cseq.method !== 'INVITE' || response.status < 200 || response.status >= 300) return;
    const user = this.#dialogs.get(
      Dialog.key(response.callId, response.from.tag ?? '', response.to.tag ?? ''),
    );
    if (user) user.onStray2xx(response);
    else this.#ackAndBye(response, undefined, inbound.source.protocol, inbound.source.address);
  }
}

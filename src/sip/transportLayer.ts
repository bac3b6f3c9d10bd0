import type { RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import { LocalAddresses } from '../net/localAddresses.js';
import type { Logger } from '../observability/logger.js';
import { createRawResponse } from './messageFactory.js';
import { parseSipMessage } from './messageParser.js';
import { serializeMessage } from './messageSerializer.js';
import type { SipMessage, SipRequest, SipResponse } from './sipMessage.js';
import { TcpTransport } from './tcpTransport.js';
import { checkTlsServerSettings, type TlsSettings, tlsStreamOptions } from './tlsTransport.js';
import {
  DEFAULT_TRANSPORT_LIMITS,
  type Endpoint,
  type Inbound,
  newTransportCounters,
  type TransportCounters,
  type TransportError,
  type TransportLimits,
  type TransportProtocol,
} from './transport.js';
import { UdpTransport } from './udpTransport.js';

export interface TransportLayerOptions {
  /** IP literal to bind (127.0.0.1 in tests; 0.0.0.0 or :: for every interface). */
  address: string;
  /**
   * Address written into Via and Contact when peers must use another one (the public side of a
   * NAT). Without it a wildcard bind writes the source address the OS routes toward each peer.
   */
  advertisedAddress?: string | undefined;
  /** UDP port; 0 picks a free one; false disables UDP. */
  udpPort?: number | false;
  /** TCP port; 0 picks a free one; false disables TCP. */
  tcpPort?: number | false;
  /** SIP over TLS: outgoing connections always; a listener when `tls.server` and `tls.port` are given. */
  tls?: TlsSettings;
  limits?: Partial<TransportLimits>;
  logger: Logger;
}

/** The port Via and Contact name for TLS when no TLS listener runs (RFC 3261 §26.2.1 default). */
const TLS_DEFAULT_PORT = 5061;

export type MessageHandler = (message: SipMessage, inbound: Inbound) => void;

/**
 * The transport layer of RFC 3261 §18: owns the UDP, TCP and TLS transports, turns bytes into parsed
 * messages (dropping and counting what is malformed or oversized, answering broken requests with
 * 400/505 when they can be answered), stamps `received`/`rport` on requests (§18.2.1, RFC 3581),
 * drops responses not addressed to us (§18.1.2) and sends responses where §18.2.2 says.
 */
export class TransportLayer {
  readonly counters: TransportCounters = newTransportCounters();
  readonly #options: TransportLayerOptions;
  readonly #limits: TransportLimits;
  readonly #log: Logger;
  readonly #local: LocalAddresses;
  #udp: UdpTransport | undefined;
  #tcp: TcpTransport | undefined;
  #tls: TcpTransport | undefined;
  #handler: MessageHandler = () => {};
  #closed = false;

  constructor(options: TransportLayerOptions) {
    if (isIP(options.address) === 0)
      throw new TypeError(`SIP transport address must be an IP literal: ${options.address}`);
    this.#options = options;
    this.#limits = { ...DEFAULT_TRANSPORT_LIMITS, ...options.limits };
    this.#log = options.logger;
    this.#local = new LocalAddresses({ bind: options.address, advertised: options.advertisedAddress });
  }

  /** Where parsed messages go (the transaction layer). */
  setHandler(handler: MessageHandler): void {
    this.#handler = handler;
  }

  async listen(): Promise<void> {
    const address = this.#options.address;
    if (this.#options.udpPort !== false) {
      this.#udp = new UdpTransport({
        address,
        port: this.#options.udpPort ?? 0,
        onDatagram: (data, rinfo) => this.#onDatagram(data, rinfo),
        onSendError: (e) => {
          this.counters.sendErrors++;
          this.#log.debug({ err: e.message }, 'sip udp send error');
        },
      });
      await this.#udp.listen();
    }
    if (this.#options.tcpPort !== false) {
      this.#tcp = new TcpTransport({
        address,
        port: this.#options.tcpPort ?? 0,
        limits: this.#limits,
        counters: this.counters,
        onMessage: (data, source, connectionId) => this.#receive(data, source, connectionId),
      });
      await this.#tcp.listen();
    }
    const tls = this.#options.tls ?? {};
    const listener = tls.server !== undefined && tls.port !== undefined && tls.port !== false;
    if (listener) checkTlsServerSettings(tls.server!);
    this.#tls = new TcpTransport({
      address,
      port: typeof tls.port === 'number' ? tls.port : 0,
      limits: this.#limits,
      counters: this.counters,
      onMessage: (data, source, connectionId) => this.#receive(data, source, connectionId),
      ...tlsStreamOptions(tls, (err, remote) => {
        this.counters.tlsHandshakeErrors++;
        this.#log.debug({ remote, err: err.message }, 'sip tls handshake failed');
      }),
    });
    if (listener) await this.#tls.listen();
  }

  #stream(protocol: TransportProtocol): TcpTransport | undefined {
    return protocol === 'tcp' ? this.#tcp : protocol === 'tls' ? this.#tls : undefined;
  }

  get limits(): TransportLimits {
    return this.#limits;
  }

  /**
   * The address and port `toward` (a peer's IP) reaches us at over a protocol (Via sent-by,
   * Contact): the advertised address, the bound one, or for a wildcard bind the route's source.
   */
  localEndpoint(protocol: TransportProtocol, toward?: string): Endpoint | undefined {
    const address = this.#local.toward(toward);
    if (protocol === 'udp' && this.#udp) return { protocol, address, port: this.#udp.port };
    if (protocol === 'tcp' && this.#tcp) return { protocol, address, port: this.#tcp.port };
    if (protocol === 'tls' && this.#tls) return { protocol, address, port: this.#tlsPort() };
    return undefined;
  }

  /** Learns the source address toward `remote` (wildcard binds) so that `localEndpoint` is exact. */
  learnRoute(remote: string): Promise<string> {
    return this.#local.learn(remote);
  }

  /** The TLS listener's port, or 5061 when outgoing TLS runs without one (responses come back on the connection). */
  #tlsPort(): number {
    return this.#tls?.listening ? this.#tls.port : TLS_DEFAULT_PORT;
  }

  /** Whether a TLS listener runs (inbound TLS, in-dialog requests on new connections). */
  get tlsListening(): boolean {
    return this.#tls?.listening ?? false;
  }

  get tcpConnections(): number {
    return this.#tcp?.connectionCount ?? 0;
  }

  get tlsConnections(): number {
    return this.#tls?.connectionCount ?? 0;
  }

  /** Serializes and sends; returns the bytes so that retransmissions do not serialize again. */
  send(
    message: SipMessage,
    target: Endpoint,
    connectionId?: number,
    onError?: (e: TransportError) => void,
  ): Buffer {
    const data = serializeMessage(message);
    this.sendBytes(data, target, connectionId, onError);
    return data;
  }

  /** Sends bytes; returns the TCP/TLS connection they went on (undefined for UDP or a failure). */
  sendBytes(
    data: Buffer,
    target: Endpoint,
    connectionId?: number,
    onError?: (e: TransportError) => void,
  ): number | undefined {
    if (this.#closed) {
      onError?.({ code: 'closed', message: 'transport layer closed' });
      return undefined;
    }
    this.counters.sent++;
    if (target.protocol === 'udp' && this.#udp) this.#udp.send(data, target.address, target.port, onError);
    else if (target.protocol !== 'udp' && this.#stream(target.protocol))
      return this.#stream(target.protocol)!.send(data, target, connectionId, onError);
    else onError?.({ code: 'send-failed', message: `no ${target.protocol} transport` });
    return undefined;
  }

  /**
   * Keeps the open TCP/TLS connection to `target` past the idle close until the release is called;
   * `onClose` hears when it closes anyway. Undefined for UDP or when no such connection is open.
   */
  holdConnection(target: Endpoint, onClose: () => void): (() => void) | undefined {
    return target.protocol === 'udp' ? undefined : this.#stream(target.protocol)?.hold(target, onClose);
  }

  /**
   * Where a response to this request goes (§18.2.2, RFC 3581 §4): back on the connection for
   * reliable transports, else to `received`/`rport` or the sent-by address. A sent-by host name is
   * never resolved: the packet's source address is used instead.
   */
  responseTarget(request: SipRequest, inbound: Inbound): { target: Endpoint; connectionId?: number } {
    const via = request.topVia;
    const source = inbound.source;
    if (source.protocol !== 'udp') {
      return inbound.connectionId !== undefined &&
        this.#stream(source.protocol)?.hasConnection(inbound.connectionId)
        ? { target: source, connectionId: inbound.connectionId }
        : {
            target: {
              protocol: source.protocol,
              address: via.received ?? source.address,
              port:
                typeof via.rport === 'number'
                  ? via.rport
                  : (via.port ?? (source.protocol === 'tls' ? 5061 : 5060)),
            },
          };
    }
    const host = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
    const address = via.received ?? (isIP(host) ? host : source.address);
    const port = typeof via.rport === 'number' ? via.rport : (via.port ?? 5060);
    return { target: { protocol: 'udp', address, port } };
  }

  #onDatagram(data: Buffer, rinfo: RemoteInfo): void {
    if (data.length > this.#limits.maxMessageBytes) {
      this.counters.droppedOversized++;
      return;
    }
    // Keep-alive pings (RFC 5626 §3.5.1 CRLF over UDP, or stray empty datagrams).
    if (data.length <= 4 && data.every((b) => b === 0x0d || b === 0x0a)) return;
    this.#receive(data, { protocol: 'udp', address: rinfo.address, port: rinfo.port }, undefined);
  }

  #receive(data: Buffer, source: Endpoint, connectionId: number | undefined): void {
    if (this.#closed) return;
    this.counters.received++;
    const outcome = parseSipMessage(data, this.#limits, source.protocol !== 'udp');
    if (!outcome.ok) {
      const { error } = outcome;
      if (error.code === 'too-large') this.counters.droppedOversized++;
      if (error.reply) {
        this.counters.answeredMalformed++;
        const response = createRawResponse(error.reply.status, error.reply.reason, error.reply.headers);
        this.send(response, source, connectionId);
      } else {
        this.counters.droppedMalformed++;
      }
      this.#log.debug(
        { source: `${source.address}:${source.port}`, code: error.code, detail: error.detail },
        'sip malformed message',
      );
      return;
    }
    const message = outcome.message;
    const inbound: Inbound = connectionId === undefined ? { source } : { source, connectionId };
    if (!this.#local.known(source.address)) {
      // Wildcard bind, a new peer: learn our address toward it before anything answers (Contact).
      // Later messages from it wait on the same lookup, so their order is kept.
      void this.#local.learn(source.address).then(() => this.#dispatch(message, source, inbound));
      return;
    }
    this.#dispatch(message, source, inbound);
  }

  #dispatch(message: SipMessage, source: Endpoint, inbound: Inbound): void {
    if (this.#closed) return;
    try {
      if (message.kind === 'request') this.#stampVia(message, source);
      else if (!this.#isOurs(message)) {
        this.counters.droppedMisrouted++;
        return;
      }
      this.#handler(message, inbound);
    } catch (err) {
      // A bug in a layer above must not take the process down with it; it is counted and logged.
      this.counters.handlerErrors++;
      this.#log.error({ err }, 'sip message handler failed');
    }
  }

  /** §18.2.1: record where the request really came from in its top Via. */
  #stampVia(request: SipRequest, source: Endpoint): void {
    const vias = request.vias;
    const top = vias[0]!;
    const host = top.host.startsWith('[') ? top.host.slice(1, -1) : top.host;
    let changed = false;
    // RFC 3581 §4: whenever rport is filled in, received is added too, even when it equals the sent-by.
    if (host !== source.address || top.rport === true) {
      top.params.set('received', source.address);
      changed = true;
    }
    if (top.rport === true) {
      top.params.set('rport', String(source.port));
      changed = true;
    }
    if (changed)
      request.headers.set(
        'Via',
        vias.map((v) => v.toString()),
      );
  }

  /** §18.1.2: a response whose top Via sent-by is not one of ours is discarded. */
  #isOurs(response: SipResponse): boolean {
    const via = response.topVia;
    const host = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
    if (!this.#local.isOurs(host)) return false;
    const port = via.port ?? 5060;
    return (
      port === this.#udp?.port ||
      port === this.#tcp?.port ||
      (this.#tls !== undefined && port === this.#tlsPort())
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#udp?.close(), this.#tcp?.close(), this.#tls?.close()]);
  }
}

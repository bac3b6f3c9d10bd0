import { connect, createServer, isIPv6, type Server, type Socket } from 'node:net';
import { StreamFramer } from './streamFramer.js';
import type { Endpoint, TransportCounters, TransportError, TransportLimits } from './transport.js';

export interface TcpTransportOptions {
  address: string;
  port: number;
  limits: TransportLimits;
  counters: TransportCounters;
  /** A framed message (not yet parsed) from a connection. */
  onMessage: (data: Buffer, source: Endpoint, connectionId: number) => void;
  /** `tls` when the sockets below speak TLS (counters, the protocol of sources). Default `tcp`. */
  protocol?: 'tcp' | 'tls';
  /** Outgoing sockets (default: plain TCP). TLS passes `tls.connect` (see `tlsTransport.ts`). */
  connectSocket?: (target: Endpoint) => Socket;
  /** The event after which an outgoing socket carries messages (`secureConnect` for TLS). */
  readyEvent?: 'connect' | 'secureConnect';
  /** The listening server, made on `listen()` (default: plain TCP). TLS passes a `tls.Server`. */
  createServer?: (onSocket: (socket: Socket) => void) => Server;
  /**
   * What else, beside the address, a connection must match to be reused (TLS: the name it was
   * verified for and the trust it was verified with), so a connection checked for one trunk never
   * carries another's requests.
   */
  connectionKey?: (target: Endpoint) => string | undefined;
  /** The words for a failed outgoing connection (TLS names the peer and the certificate problem). */
  describeError?: (err: Error, target: Endpoint) => string;
}

/** One TCP connection with its framer; either side may have opened it. */
class TcpConnection {
  readonly id: number;
  readonly socket: Socket;
  readonly remote: Endpoint;
  readonly framer: StreamFramer;
  /** Its key in the reuse table. */
  key = '';
  connected: boolean;
  /** The target an outgoing connection was opened for (with its TLS profile). */
  dialled: Endpoint | undefined;
  /** The TCP connection is up (TLS may still be shaking hands). */
  tcpUp = false;
  /** Holders that keep it open past the idle time (a registration's flow), see `hold()`. */
  holds = 0;
  /** Told when it closes (holders). */
  readonly closeListeners = new Set<() => void>();
  /** Writes made before an outgoing connection is established. */
  queue: Array<[Buffer, ((e: TransportError) => void) | undefined]> = [];

  constructor(id: number, socket: Socket, remote: Endpoint, connected: boolean, maxBytes: number) {
    this.id = id;
    this.socket = socket;
    this.remote = remote;
    this.connected = connected;
    this.framer = new StreamFramer(maxBytes);
  }
}

/**
 * SIP over TCP (§18): a listening socket plus connections in both directions, reused per remote
 * address (§18.1.1: a request to an address we already have a connection with goes on it; responses
 * go back on the connection the request came on). Owns the server and every socket; `close()`
 * destroys them all.
 */
export class TcpTransport {
  readonly #options: TcpTransportOptions;
  readonly #protocol: 'tcp' | 'tls';
  #server: Server | undefined;
  readonly #byId = new Map<number, TcpConnection>();
  readonly #byRemote = new Map<string, TcpConnection>();
  #nextId = 1;
  #port = 0;
  #closed = false;

  constructor(options: TcpTransportOptions) {
    this.#options = options;
    this.#protocol = options.protocol ?? 'tcp';
  }

  /** Whether `listen()` bound a server (a TLS transport may be client-only). */
  get listening(): boolean {
    return this.#server?.listening ?? false;
  }

  get port(): number {
    return this.#port;
  }

  get connectionCount(): number {
    return this.#byId.size;
  }

  listen(): Promise<number> {
    const onSocket = (socket: Socket) => this.#accept(socket);
    const server = this.#options.createServer ? this.#options.createServer(onSocket) : createServer(onSocket);
    server.maxConnections = this.#options.limits.maxTcpConnections;
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.address, () => {
        server.off('error', reject);
        const addr = server.address();
        this.#port = typeof addr === 'object' && addr ? addr.port : 0;
        resolve(this.#port);
      });
    });
  }

  /** True when the connection a request came on is still open. */
  hasConnection(id: number): boolean {
    return this.#byId.has(id);
  }

  /**
   * Keeps the open connection to `target` (keyed like `send`) from the idle close until the
   * returned release is called, with TCP keep-alive probes; `onClose` hears when it closes anyway.
   * A registration holds its flow so the registrar can reach us on it (RFC 5626 §4.4 in spirit).
   * Undefined when no such connection is open.
   */
  hold(target: Endpoint, onClose: () => void): (() => void) | undefined {
    const conn =
      (target.connectionId === undefined ? undefined : this.#byId.get(target.connectionId)) ??
      this.#byRemote.get(this.#key(target));
    if (!conn) return undefined;
    conn.holds++;
    conn.closeListeners.add(onClose);
    conn.socket.setTimeout(0);
    conn.socket.setKeepAlive(true, KEEPALIVE_MS);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      conn.closeListeners.delete(onClose);
      if (--conn.holds === 0 && !conn.socket.destroyed) {
        conn.socket.setKeepAlive(false);
        conn.socket.setTimeout(this.#options.limits.tcpIdleMs);
      }
    };
  }

  /** Sends on the connection `connectionId` (or `target.connectionId`) while it is open, else on the one to `target` (opened if need be); returns the connection's id. */
  send(
    data: Buffer,
    target: Endpoint,
    connectionId?: number,
    onError?: (e: TransportError) => void,
  ): number | undefined {
    if (this.#closed) {
      onError?.({ code: 'closed', message: `${this.#protocol.toUpperCase()} transport closed` });
      return undefined;
    }
    const id = connectionId ?? target.connectionId;
    let conn = id === undefined ? undefined : this.#byId.get(id);
    const key = this.#key(target);
    conn ??= this.#byRemote.get(key);
    if (!conn) {
      if (this.#byId.size >= this.#options.limits.maxTcpConnections) {
        onError?.({
          code: 'too-many-connections',
          message: `${this.#protocol.toUpperCase()} connection limit reached`,
        });
        return undefined;
      }
      conn = this.#open(target, key);
    }
    if (!conn.connected) {
      conn.queue.push([data, onError]);
      return conn.id;
    }
    this.#write(conn, data, onError);
    return conn.id;
  }

  #write(conn: TcpConnection, data: Buffer, onError?: (e: TransportError) => void): void {
    conn.socket.write(data, (err) => {
      if (err) {
        this.#options.counters.sendErrors++;
        onError?.({ code: 'send-failed', message: err.message });
      }
    });
  }

  #key(target: Endpoint): string {
    const extra = this.#options.connectionKey?.(target);
    return remoteKey(target.address, target.port) + (extra === undefined ? '' : `|${extra}`);
  }

  #open(target: Endpoint, key: string): TcpConnection {
    const socket = this.#options.connectSocket
      ? this.#options.connectSocket(target)
      : connect({ port: target.port, host: target.address, family: isIPv6(target.address) ? 6 : 4 });
    const { tls: _profile, connectionId: _flow, ...remote } = target;
    const conn = this.#register(socket, remote, false, key);
    conn.dialled = target;
    socket.once('connect', () => {
      conn.tcpUp = true;
    });
    socket.once(this.#options.readyEvent ?? 'connect', () => {
      conn.connected = true;
      const queued = conn.queue;
      conn.queue = [];
      for (const [data, onError] of queued) this.#write(conn, data, onError);
    });
    return conn;
  }

  #accept(socket: Socket): void {
    if (this.#closed || !socket.remoteAddress || !socket.remotePort) {
      socket.destroy();
      return;
    }
    const address = socket.remoteAddress.startsWith('::ffff:')
      ? socket.remoteAddress.slice(7)
      : socket.remoteAddress;
    this.#register(socket, { protocol: this.#protocol, address, port: socket.remotePort }, true);
  }

  #register(
    socket: Socket,
    remote: Endpoint,
    connected: boolean,
    key = remoteKey(remote.address, remote.port),
  ): TcpConnection {
    const conn = new TcpConnection(
      this.#nextId++,
      socket,
      remote,
      connected,
      this.#options.limits.maxMessageBytes,
    );
    conn.key = key;
    this.#byId.set(conn.id, conn);
    this.#byRemote.set(key, conn);
    if (this.#protocol === 'tls') this.#options.counters.tlsConnectionsOpened++;
    else this.#options.counters.tcpConnectionsOpened++;
    socket.setNoDelay(true);
    socket.setTimeout(this.#options.limits.tcpIdleMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => this.#onData(conn, chunk));
    socket.on('error', (err) => {
      const queued = conn.queue;
      conn.queue = [];
      if (conn.connected) return;
      // A TLS connection whose TCP came up but never became secure failed its handshake.
      const handshake = this.#protocol === 'tls' && conn.tcpUp;
      if (handshake) this.#options.counters.tlsHandshakeErrors++;
      const message = this.#options.describeError?.(err, conn.dialled ?? remote) ?? err.message;
      for (const [, onError] of queued)
        onError?.({ code: handshake ? 'tls-failed' : 'connect-failed', message });
    });
    socket.on('close', () => this.#forget(conn));
    return conn;
  }

  #onData(conn: TcpConnection, chunk: Buffer): void {
    const { messages, error } = conn.framer.push(chunk);
    for (const m of messages) this.#options.onMessage(m, conn.remote, conn.id);
    if (error) {
      if (error === 'too-large') this.#options.counters.droppedOversized++;
      else this.#options.counters.tcpFramingErrors++;
      conn.socket.destroy();
    }
  }

  #forget(conn: TcpConnection): void {
    this.#byId.delete(conn.id);
    if (this.#byRemote.get(conn.key) === conn) this.#byRemote.delete(conn.key);
    const queued = conn.queue;
    conn.queue = [];
    for (const [, onError] of queued) onError?.({ code: 'connection-closed', message: 'connection closed' });
    for (const listener of [...conn.closeListeners]) listener();
    conn.closeListeners.clear();
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const conn of this.#byId.values()) conn.socket.destroy();
    const server = this.#server;
    return new Promise((resolve) => {
      if (!server?.listening) resolve();
      else server.close(() => resolve());
    });
  }
}

/** TCP keep-alive probe interval on held connections (well inside NAT and carrier idle times). */
const KEEPALIVE_MS = 30_000;

function remoteKey(address: string, port: number): string {
  return address + '|' + port;
}

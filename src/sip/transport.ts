/** Shared transport vocabulary (RFC 3261 §18, RFC 5630 for TLS). */

export type TransportProtocol = 'udp' | 'tcp' | 'tls';

/** A transport address. `address` is always an IP literal (this stack never resolves names). */
export interface Endpoint {
  protocol: TransportProtocol;
  address: string;
  port: number;
  /**
   * For a TLS connection this endpoint may open: the name to verify and the trust to use. Absent:
   * the address itself is checked (IP SAN) with the transport's defaults.
   */
  tls?: TlsClientProfile;
  /**
   * TCP/TLS: the connection to send on while it is open (a dialog's flow, RFC 5923 reuse); when it
   * has closed, the address (and `tls`) above are used.
   */
  connectionId?: number;
}

/**
 * How an outgoing TLS connection checks the server and identifies itself. PEM texts, not paths:
 * `sip/` reads no files.
 */
export interface TlsClientProfile {
  /** Host name sent as SNI and matched against the certificate (RFC 5922 §7.2); an IP literal checks the IP SAN. */
  serverName?: string;
  /** Extra CA certificates trusted beside node's default (system) ones. */
  ca?: string;
  /** Client certificate and key, presented when the server asks. */
  cert?: string;
  key?: string;
}

/** Where a received message came from. */
export interface Inbound {
  source: Endpoint;
  /** The TCP/TLS connection it arrived on (responses go back on it, §18.2.2). */
  connectionId?: number;
}

export interface TransportLimits {
  /** Largest SIP message accepted (UDP datagram or framed TCP message), in bytes. */
  maxMessageBytes: number;
  /** Most header lines in one message. */
  maxHeaders: number;
  /** Open TCP connections at most (new ones beyond are refused). */
  maxTcpConnections: number;
  /** A TCP connection idle this long is closed. */
  tcpIdleMs: number;
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = {
  maxMessageBytes: 65_535,
  maxHeaders: 256,
  maxTcpConnections: 1024,
  tcpIdleMs: 300_000,
};

/** Counters for what the network sent us and what we did with it (never reset). */
export interface TransportCounters {
  received: number;
  sent: number;
  /** Datagrams/streams above maxMessageBytes. */
  droppedOversized: number;
  /** Unparseable messages dropped (responses, or requests too broken to answer). */
  droppedMalformed: number;
  /** Unparseable requests answered with 400/505. */
  answeredMalformed: number;
  /** Responses whose top Via is not ours (§18.1.2). */
  droppedMisrouted: number;
  /** Bugs caught at the network boundary (a handler threw). */
  handlerErrors: number;
  sendErrors: number;
  tcpConnectionsOpened: number;
  tcpFramingErrors: number;
  tlsConnectionsOpened: number;
  /** TLS handshakes that failed (bad certificate, name mismatch, no client certificate, ...). */
  tlsHandshakeErrors: number;
}

export function newTransportCounters(): TransportCounters {
  return {
    received: 0,
    sent: 0,
    droppedOversized: 0,
    droppedMalformed: 0,
    answeredMalformed: 0,
    droppedMisrouted: 0,
    handlerErrors: 0,
    sendErrors: 0,
    tcpConnectionsOpened: 0,
    tcpFramingErrors: 0,
    tlsConnectionsOpened: 0,
    tlsHandshakeErrors: 0,
  };
}

export function endpointKey(e: Endpoint): string {
  return `${e.protocol}:${e.address}:${e.port}`;
}

/** Error values produced when sending (never thrown to the caller). */
export interface TransportError {
  code:
    | 'send-failed'
    | 'connect-failed'
    | 'tls-failed'
    | 'connection-closed'
    | 'closed'
    | 'too-many-connections';
  message: string;
}

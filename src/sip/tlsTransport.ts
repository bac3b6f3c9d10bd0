/**
 * SIP over TLS (RFC 3261 §18, §26.2; RFC 5630 kept practical): the stream transport of
 * `tcpTransport.ts` (framing, connection reuse, idle close, limits, counters) with sockets from
 * node:tls. Outgoing connections verify the server: node's default (system) CAs plus any configured
 * ones, the hop's host name as SNI and as the name the certificate must carry (an IP literal hop
 * checks the IP SAN, RFC 5922 §7.2). A failed handshake fails the send with a sentence naming the
 * peer and the cause ("TLS to sip.example.com:5061 failed: certificate has expired"), so the INVITE
 * fails over like on any transport error.
 */
import { createHash } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import {
  type ConnectionOptions,
  checkServerIdentity,
  createSecureContext,
  createServer,
  rootCertificates,
  connect as tlsConnect,
} from 'node:tls';
import type { TcpTransportOptions } from './tcpTransport.js';
import type { Endpoint, TlsClientProfile } from './transport.js';

/** The certificate the TLS listener presents, and whether it asks callers for theirs. */
export interface TlsServerSettings {
  /** PEM certificate (chain) and its key. */
  cert: string;
  key: string;
  /** CA certificates client certificates must chain to (needed with `requireClientCert`). */
  ca?: string;
  /** Refuse connections without a client certificate from `ca`. */
  requireClientCert?: boolean;
}

export interface TlsSettings {
  /** Listener port (0 = any free one); absent or false: no listener (outgoing TLS still works). */
  port?: number | false;
  /** Needed for the listener. */
  server?: TlsServerSettings;
  /** Defaults for every outgoing connection (a hop's own profile adds its CA, replaces the client certificate). */
  client?: Omit<TlsClientProfile, 'serverName'>;
}

/** Throws a readable error when the listener's certificate, key or CA cannot be used. */
export function checkTlsServerSettings(s: TlsServerSettings): void {
  try {
    createSecureContext({ cert: s.cert, key: s.key, ...(s.ca !== undefined && { ca: s.ca }) });
  } catch (err) {
    throw new TypeError(`TLS listener certificate/key not usable: ${(err as Error).message}`);
  }
  if (s.requireClientCert && s.ca === undefined)
    throw new TypeError(
      'TLS listener: requireClientCert needs a CA file to check client certificates against',
    );
}

/** Profiles remembered per remote address, so a reconnection in a dialog checks the same name. */
const MAX_REMEMBERED = 1024;

/**
 * The `TcpTransportOptions` additions that make a stream transport speak TLS. `onHandshakeError`
 * hears about incoming connections that failed their handshake (counted by the caller).
 */
export function tlsStreamOptions(
  settings: TlsSettings,
  onHandshakeError: (err: Error, remote: string) => void,
): Pick<
  TcpTransportOptions,
  'protocol' | 'connectSocket' | 'readyEvent' | 'createServer' | 'describeError' | 'connectionKey'
> {
  const remembered = new Map<string, TlsClientProfile>();
  const profileFor = (target: Endpoint): TlsClientProfile | undefined => {
    const key = `${target.address}|${target.port}`;
    if (!target.tls) return remembered.get(key);
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(key, target.tls);
    return target.tls;
  };
  const server = settings.server;
  const fingerprints = new WeakMap<TlsClientProfile, string>();
  return {
    protocol: 'tls',
    connectionKey: (target) => {
      const profile = profileFor(target);
      if (!profile) return undefined;
      let fp = fingerprints.get(profile);
      if (fp === undefined) {
        const trust = createHash('sha256')
          .update(profile.ca ?? '')
          .update('\0')
          .update(profile.cert ?? '');
        fp = `${profile.serverName ?? ''}|${trust.digest('base64url').slice(0, 22)}`;
        fingerprints.set(profile, fp);
      }
      return fp;
    },
    readyEvent: 'secureConnect',
    connectSocket: (target) => tlsConnect(clientOptions(target, profileFor(target), settings.client)),
    describeError: (err, target) => {
      const name = target.tls?.serverName ?? remembered.get(`${target.address}|${target.port}`)?.serverName;
      const via = name && name !== target.address ? ` (${target.address})` : '';
      return `TLS to ${hostPort(name ?? target.address, target.port)}${via} failed: ${err.message}`;
    },
    ...(server && {
      createServer: (onSocket: (socket: Socket) => void) => {
        const s = createServer(
          {
            cert: server.cert,
            key: server.key,
            minVersion: 'TLSv1.2',
            ...(server.ca !== undefined && { ca: server.ca }),
            requestCert: server.requireClientCert ?? false,
            rejectUnauthorized: server.requireClientCert ?? false,
          },
          onSocket,
        );
        s.on('tlsClientError', (err, socket) => {
          onHandshakeError(err, `${socket.remoteAddress}:${socket.remotePort}`);
          socket.destroy();
        });
        return s;
      },
    }),
  };
}

function clientOptions(
  target: Endpoint,
  profile: TlsClientProfile | undefined,
  defaults: Omit<TlsClientProfile, 'serverName'> | undefined,
): ConnectionOptions {
  const name = profile?.serverName ?? target.address;
  const extraCa = [defaults?.ca, profile?.ca].filter((c): c is string => c !== undefined);
  const cert = profile?.cert ?? defaults?.cert;
  const key = profile?.cert !== undefined ? profile.key : defaults?.key;
  return {
    host: target.address,
    port: target.port,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    // SNI carries host names only (RFC 6066 §3); an IP literal is checked against the IP SAN.
    ...(isIP(name) === 0 && { servername: name }),
    checkServerIdentity: (_host, peer) => checkServerIdentity(name, peer),
    ...(extraCa.length > 0 && { ca: [...rootCertificates, ...extraCa] }),
    ...(cert !== undefined && key !== undefined && { cert, key }),
  };
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

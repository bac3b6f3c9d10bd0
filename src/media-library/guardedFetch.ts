/**
 * HTTP(S) GET for network prompt files, where the callback reply, not the operator, names the
 * URL. The name is resolved (net/DnsResolver), each address is checked by the AddressPolicy before
 * connecting to it and the connected socket's remote address again before a byte is sent, so a
 * name that resolves to a public address once and a private one the next time (DNS rebinding)
 * cannot pass. Redirects are followed by hand, at most {@link MAX_REDIRECTS}, each through the
 * same checks. HTTPS verifies the certificate (the system's roots plus `media.caFile`).
 */
import { type IncomingHttpHeaders, type IncomingMessage, request } from 'node:http';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { rootCertificates, connect as tlsConnect } from 'node:tls';
import { type Clock, systemClock } from '../clock/clock.js';
import { type AddressPolicy, classifyAddress } from './addressPolicy.js';
import { NetworkFileError } from './networkFileError.js';

export const MAX_REDIRECTS = 3;

export interface GuardedFetchOptions {
  resolve: (host: string) => Promise<string[]>;
  policy: AddressPolicy;
  /** Extra trusted CA certificates (PEM), added to the system's roots. */
  ca?: string;
  /** The whole fetch, redirects included. */
  timeoutMs: number;
  maxBytes: number;
  clock?: Clock;
}

export interface FetchedFile {
  status: number;
  headers: IncomingHttpHeaders;
  /** Empty unless status is 200. */
  body: Buffer;
  /** The URL the answer came from (after redirects). */
  url: string;
}

export class GuardedFetch {
  readonly #o: GuardedFetchOptions;
  readonly #ca: string[] | undefined;

  constructor(options: GuardedFetchOptions) {
    this.#o = options;
    this.#ca = options.ca ? [...rootCertificates, options.ca] : undefined;
  }

  /** GETs `url` with `headers`; rejects with NetworkFileError. */
  async get(url: string, headers: Record<string, string> = {}): Promise<FetchedFile> {
    const clock = this.#o.clock ?? systemClock;
    const abort = new AbortController();
    const timer = clock.setTimer(
      () => abort.abort(new NetworkFileError('TIMEOUT', `${url}: no answer within ${this.#o.timeoutMs} ms`)),
      this.#o.timeoutMs,
    );
    try {
      let current = parseUrl(url);
      for (let redirects = 0; ; redirects++) {
        const res = await this.#once(current, headers, abort.signal);
        const location = res.headers.location;
        if (res.status >= 300 && res.status < 400 && res.status !== 304) {
          if (!location)
            throw new NetworkFileError('HTTP', `${current.href}: HTTP ${res.status} without Location`);
          if (redirects >= MAX_REDIRECTS)
            throw new NetworkFileError('REDIRECTS', `${url}: more than ${MAX_REDIRECTS} redirects`);
          current = parseUrl(new URL(location, current).href);
          continue;
        }
        return { ...res, url: current.href };
      }
    } finally {
      clock.clearTimer(timer);
    }
  }

  async #once(
    url: URL,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Omit<FetchedFile, 'url'>> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const https = url.protocol === 'https:';
    const port = Number(url.port) || (https ? 443 : 80);
    const tcp = await this.#connect(host, port, signal);
    let socket: Socket = tcp;
    if (https) {
      try {
        socket = await upgrade(tcp, host, this.#ca, signal);
      } catch (err) {
        tcp.destroy();
        throw err instanceof NetworkFileError
          ? err
          : new NetworkFileError('TLS', `${url.href}: TLS: ${(err as Error).message}`);
      }
    }
    try {
      const res = await exchange(url, socket, headers, signal);
      if (res.statusCode !== 200) {
        res.resume();
        return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0) };
      }
      const body = await readBody(res, url.href, this.#o.maxBytes, signal);
      return { status: 200, headers: res.headers, body };
    } finally {
      socket.destroy();
    }
  }

  /** A TCP connection to an address of `host` the policy allows, checked once connected. */
  async #connect(host: string, port: number, signal: AbortSignal): Promise<Socket> {
    let addresses: string[];
    try {
      addresses = await this.#o.resolve(host);
    } catch (err) {
      throw new NetworkFileError('DNS', `cannot resolve ${host}: ${(err as Error).message}`);
    }
    let refused: string | undefined;
    let failure: Error | undefined;
    for (const address of addresses) {
      if (signal.aborted) break;
      if (!this.#o.policy.allows(host, address)) {
        refused ??= address;
        continue;
      }
      let socket: Socket;
      try {
        socket = await connectTcp(address, port, signal);
      } catch (err) {
        failure = err as Error;
        continue;
      }
      // The address the kernel actually connected to, whatever the resolver said.
      const remote = socket.remoteAddress ?? '';
      if (isIP(remote) && this.#o.policy.allows(host, remote)) return socket;
      socket.destroy();
      refused ??= remote || address;
    }
    if (signal.aborted) throw signal.reason;
    if (refused !== undefined && failure === undefined) {
      throw new NetworkFileError(
        'REFUSED',
        `${host} is at ${refused}, a ${classifyAddress(refused)} address: refused (allow it in media.urlAllowlist)`,
      );
    }
    throw new NetworkFileError(
      'CONNECT',
      `cannot connect to ${host} port ${port}: ${failure?.message ?? 'no address'}`,
    );
  }
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new NetworkFileError('BAD_URL', `not a URL: ${text}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new NetworkFileError('BAD_URL', `${text}: only http and https URLs are fetched`);
  return url;
}

function connectTcp(address: string, port: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: address, port });
    const onAbort = () => {
      socket.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      socket.on('error', () => {}); // later errors surface through the request
      resolve(socket);
    });
    socket.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    });
  });
}

function upgrade(tcp: Socket, host: string, ca: string[] | undefined, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // SNI only for names (RFC 6066 §3); the certificate is checked against the name or the IP.
    const tls = tlsConnect({ socket: tcp, ...(isIP(host) ? { host } : { servername: host, host }), ca });
    const onAbort = () => {
      tls.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    tls.once('secureConnect', () => {
      signal.removeEventListener('abort', onAbort);
      tls.removeAllListeners('error');
      tls.on('error', () => {});
      resolve(tls);
    });
    tls.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      tls.destroy();
      reject(err);
    });
  });
}

function exchange(
  url: URL,
  socket: Socket,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({
      method: 'GET',
      host: url.hostname,
      path: `${url.pathname}${url.search}`,
      headers: { host: url.host, 'user-agent': 'smartcall', connection: 'close', ...headers },
      createConnection: () => socket,
      signal,
    });
    req.once('response', resolve);
    req.once('error', (err) =>
      reject(signal.aborted ? signal.reason : new NetworkFileError('CONNECT', `${url.href}: ${err.message}`)),
    );
    req.end();
  });
}

async function readBody(
  res: IncomingMessage,
  url: string,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Buffer> {
  const declared = Number(res.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    res.destroy();
    throw new NetworkFileError('TOO_LARGE', `${url}: larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        res.destroy();
        throw new NetworkFileError('TOO_LARGE', `${url}: larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof NetworkFileError) throw err;
    throw signal.aborted
      ? signal.reason
      : new NetworkFileError('CONNECT', `${url}: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks);
}

/**
 * Host names to addresses, with the DNS servers the operator names (`sip.dnsServers`,
 * `host:port` each) or, when none are named, the system's resolver (getaddrinfo: /etc/hosts,
 * then resolv.conf). Only resolves: whether an address may be connected to is the caller's
 * business, decided on the socket it connects (media-library/guardedFetch.ts).
 *
 * This folder is a base layer: node built-ins and clock/ only.
 */
import { createSocket } from 'node:dgram';
import { getServers } from 'node:dns';
import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type Clock, systemClock } from '../clock/clock.js';
import { within } from '../clock/within.js';
import {
  type DnsAnswer,
  encodeQuery,
  type NaptrRecord,
  parseAnswer,
  type QueryType,
  type SrvRecord,
} from './dnsMessage.js';

export type { NaptrRecord, SrvRecord } from './dnsMessage.js';

export interface DnsResolverOptions {
  /** `host:port` (or `[v6]:port`, or a bare address for port 53); empty: the system resolver. */
  servers?: readonly string[];
  /** Give up on a name after this long. */
  timeoutMs?: number;
  clock?: Clock;
}

/** A name that did not resolve, with the resolver's code (`ENOTFOUND`, `ETIMEOUT`, …). */
export class DnsError extends Error {
  override name = 'DnsError';
  constructor(
    readonly host: string,
    readonly code: string,
    detail: string,
  ) {
    super(`${host}: ${detail}`);
  }
}

/** A record set with the time (clock ms) it stops being valid. */
interface CacheEntry {
  answer: Promise<DnsAnswer>;
  expiresAt: number;
}

export class DnsResolver {
  readonly #servers: readonly string[];
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  /** `TYPE name` → answer, kept for its TTL (RFC 1035 §3.2.1; negative answers RFC 2308). */
  readonly #cache = new Map<string, CacheEntry>();
  #nextId = Math.floor(Math.random() * 0xffff);

  constructor(options: DnsResolverOptions = {}) {
    this.#servers = options.servers ?? [];
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#clock = options.clock ?? systemClock;
    // Fails here, at start-up, on a malformed entry rather than at the first call.
    if (this.#servers.length) new Resolver().setServers([...this.#servers]);
  }

  /** The name's addresses, IPv4 first; an IP literal is its own answer. Rejects with DnsError. */
  async resolve(host: string): Promise<string[]> {
    const bare = host.replace(/^\[|\]$/g, '');
    if (isIP(bare)) return [bare];
    return this.#servers.length ? this.#query(bare) : this.#system(bare);
  }

  /** SRV records of `name` (`_sip._udp.example.com`); none when the name has none. */
  async srv(name: string): Promise<SrvRecord[]> {
    return (await this.#lookup(name, 'SRV')).records as SrvRecord[];
  }

  /** NAPTR records of `name`; none when the name has none. */
  async naptr(name: string): Promise<NaptrRecord[]> {
    return (await this.#lookup(name, 'NAPTR')).records as NaptrRecord[];
  }

  /** A then AAAA records of `name` (an IP literal is its own answer); none when it has neither. */
  async addresses(name: string): Promise<string[]> {
    const bare = name.replace(/^\[|\]$/g, '');
    if (isIP(bare)) return [bare];
    const [v4, v6] = await Promise.all([this.#lookup(bare, 'A'), this.#lookup(bare, 'AAAA')]);
    return [...v4.records, ...v6.records] as string[];
  }

  /** One record set, from the cache while its TTL lasts, else asked of the servers in turn. */
  #lookup(name: string, type: QueryType): Promise<DnsAnswer> {
    const key = `${type} ${name.toLowerCase().replace(/\.$/, '')}`;
    const now = this.#clock.now();
    const cached = this.#cache.get(key);
    if (cached && cached.expiresAt > now) return cached.answer;
    const answer = this.#ask(name, type);
    const entry: CacheEntry = { answer, expiresAt: Number.POSITIVE_INFINITY };
    this.#cache.set(key, entry);
    answer.then(
      (a) => {
        entry.expiresAt = this.#clock.now() + a.ttl * 1000;
        if (a.ttl <= 0) this.#cache.delete(key);
      },
      () => this.#cache.delete(key),
    );
    return answer;
  }

  async #ask(name: string, type: QueryType): Promise<DnsAnswer> {
    const servers = (this.#servers.length ? this.#servers : getServers()).map(serverAddress);
    const perServer = Math.max(100, Math.floor(this.#timeoutMs / servers.length));
    let failure = new DnsError(name, 'ECONNREFUSED', 'no DNS server to ask');
    for (const server of servers) {
      this.#nextId = (this.#nextId + 1) & 0xffff;
      const id = this.#nextId;
      const socket = createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
      const reply = new Promise<DnsAnswer & { id: number }>((resolve, reject) => {
        socket.on('error', reject);
        socket.on('message', (msg) => {
          try {
            const a = parseAnswer(msg, type);
            if (a.id === id) resolve(a);
          } catch {
            // A malformed datagram is ignored; the right one may still come.
          }
        });
      });
      reply.catch(() => {});
      socket.send(encodeQuery(id, name, type), server.port, server.host);
      const answered = await within(reply, perServer, this.#clock);
      socket.close();
      if (!answered) {
        failure = new DnsError(
          name,
          'ETIMEOUT',
          `no answer from ${server.host}:${server.port} within ${perServer} ms`,
        );
        continue;
      }
      try {
        const a = await reply;
        // NXDOMAIN (3) and "no data" are answers; SERVFAIL, REFUSED, … are the server's failure.
        if (a.rcode === 0 || a.rcode === 3) return a.rcode === 3 ? { ...a, records: [] } : a;
        failure = new DnsError(name, 'ESERVFAIL', `${type} query answered with rcode ${a.rcode}`);
      } catch (err) {
        failure = new DnsError(name, (err as NodeJS.ErrnoException).code ?? 'EFAIL', (err as Error).message);
      }
    }
    throw failure;
  }

  async #system(host: string): Promise<string[]> {
    const answer = lookup(host, { all: true, verbatim: false });
    answer.catch(() => {});
    if (!(await within(answer, this.#timeoutMs, this.#clock)))
      throw new DnsError(host, 'ETIMEOUT', `no answer within ${this.#timeoutMs} ms`);
    try {
      return (await answer).map((a) => a.address);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EFAIL';
      throw new DnsError(host, code, code === 'ENOTFOUND' ? 'no such host' : (err as Error).message);
    }
  }

  async #query(host: string): Promise<string[]> {
    const resolver = new Resolver({ timeout: Math.max(100, Math.floor(this.#timeoutMs / 2)), tries: 1 });
    resolver.setServers([...this.#servers]);
    const both = Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    if (!(await within(both, this.#timeoutMs, this.#clock))) {
      resolver.cancel();
      throw new DnsError(host, 'ETIMEOUT', `no answer within ${this.#timeoutMs} ms`);
    }
    const [v4, v6] = await both;
    const addresses = [
      ...(v4.status === 'fulfilled' ? v4.value : []),
      ...(v6.status === 'fulfilled' ? v6.value : []),
    ];
    if (addresses.length) return addresses;
    const err = (v4.status === 'rejected' ? v4.reason : undefined) as NodeJS.ErrnoException | undefined;
    const code = err?.code ?? 'ENODATA';
    throw new DnsError(
      host,
      code,
      code === 'ENOTFOUND' ? 'no such host' : code === 'ENODATA' ? 'no address' : (err?.message ?? code),
    );
  }
}

/** `host:port`, `[v6]:port`, or a bare address (port 53). */
function serverAddress(s: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) return { host: bracketed[1]!, port: Number(bracketed[2] ?? 53) };
  if (isIP(s) === 6) return { host: s, port: 53 };
  const [host = s, port] = s.split(':');
  return { host, port: Number(port ?? 53) };
}

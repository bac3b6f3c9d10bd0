/**
 * Host names to addresses, with the DNS servers the operator names (`sip.dnsServers`,
 * `host:port` each) or, when none are named, the system's resolver (getaddrinfo: /etc/hosts,
 * then resolv.conf). Only resolves: whether an address may be connected to is the caller's
 * business, decided on the socket it connects (media-library/guardedFetch.ts).
 *
 * This folder is a base layer: node built-ins and clock/ only.
 */
import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type Clock, systemClock } from '../clock/clock.js';
import { within } from '../clock/within.js';

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

export class DnsResolver {
  readonly #servers: readonly string[];
  readonly #timeoutMs: number;
  readonly #clock: Clock;

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

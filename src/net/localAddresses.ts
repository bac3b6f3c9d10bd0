/**
 * Which of our addresses to write on the wire (SIP Via/Contact, SDP c=/o=) for a given peer.
 *
 * A socket bound to a specific address advertises that address. One bound to the wildcard
 * (`0.0.0.0` / `::`) must never put the wildcard on the wire: without a configured advertised
 * address it uses the source address the operating system routes toward the peer, found with a
 * connected UDP socket (connect sends nothing; `address()` then names the chosen source) and kept
 * per destination. So a call to 127.0.0.1 says 127.0.0.1 and a call to a LAN peer says the LAN
 * interface's address. An advertised address (the public side of a 1:1 NAT) wins over both.
 */
import { createSocket } from 'node:dgram';
import { isIP, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { type Clock, systemClock } from '../clock/clock.js';

export interface LocalAddressesOptions {
  /** The address the sockets are bound to (an IP literal, possibly a wildcard). */
  bind: string;
  /** What peers must use to reach us (NAT); always written when set. */
  advertised?: string | undefined;
  clock?: Clock;
  /** How long a learned route is trusted before it is asked again (default 5 min). */
  ttlMs?: number;
  /** Destinations remembered at most (default 4096; the oldest go first). */
  maxEntries?: number;
}

/** True for `0.0.0.0`, `::` and their spellings. */
export function isWildcardAddress(address: string): boolean {
  if (isIP(address) === 4) return address.split('.').every((b) => Number(b) === 0);
  if (isIP(address) === 6) return address.replace(/[:0]/g, '') === '';
  return false;
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

export class LocalAddresses {
  readonly wildcard: boolean;
  readonly #bind: string;
  readonly #advertised: string | undefined;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #routes = new Map<string, { source: string; at: number }>();
  readonly #pending = new Map<string, Promise<string>>();
  /** Every address we have put on the wire (responses to them are ours, RFC 3261 §18.1.2). */
  readonly #used = new Set<string>();

  constructor(options: LocalAddressesOptions) {
    if (
      options.advertised !== undefined &&
      (isIP(options.advertised) === 0 || isWildcardAddress(options.advertised))
    )
      throw new TypeError(`advertised address must be a specific IP literal: ${options.advertised}`);
    this.#bind = options.bind;
    this.#advertised = options.advertised;
    this.wildcard = isWildcardAddress(options.bind);
    this.#clock = options.clock ?? systemClock;
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#max = options.maxEntries ?? 4096;
    this.#used.add(this.#advertised ?? this.#bind);
  }

  /** Whether `toward(remote)` is exact already (no route to learn first). */
  known(remote: string): boolean {
    if (this.#advertised !== undefined || !this.wildcard) return true;
    const entry = this.#routes.get(remote);
    return entry !== undefined && this.#clock.now() - entry.at < this.#ttlMs;
  }

  /**
   * The address to write for `remote`: the advertised one, the bound one, the learned route's
   * source, or (wildcard bind, route not learned yet) a best guess that is never the wildcard.
   */
  toward(remote?: string): string {
    if (this.#advertised !== undefined) return this.#advertised;
    if (!this.wildcard) return this.#bind;
    const learned = remote === undefined ? undefined : this.#routes.get(remote)?.source;
    const address = learned ?? this.#guess(remote);
    this.#used.add(address);
    return address;
  }

  /** Learns (once per TTL) the source address toward `remote`; resolves with `toward(remote)`. */
  learn(remote: string): Promise<string> {
    if (this.known(remote) || isIP(remote) === 0) return Promise.resolve(this.toward(remote));
    let pending = this.#pending.get(remote);
    if (!pending) {
      pending = routeSource(remote).then((source) => {
        this.#pending.delete(remote);
        if (source !== undefined && !isWildcardAddress(source)) {
          this.#routes.delete(remote);
          this.#routes.set(remote, { source, at: this.#clock.now() });
          if (this.#routes.size > this.#max) this.#routes.delete(this.#routes.keys().next().value!);
        }
        return this.toward(remote);
      });
      this.#pending.set(remote, pending);
    }
    return pending;
  }

  /** An address we may have written in a Via (advertised, bound, or one of the learned sources). */
  isOurs(address: string): boolean {
    return address === this.#bind || this.#used.has(address);
  }

  #guess(remote: string | undefined): string {
    const v6 = isIPv6(this.#bind);
    if (remote === undefined || isLoopback(remote)) return v6 ? '::1' : '127.0.0.1';
    for (const list of Object.values(networkInterfaces())) {
      for (const nic of list ?? []) {
        if (!nic.internal && nic.family === (v6 ? 'IPv6' : 'IPv4') && !nic.address.startsWith('fe80'))
          return nic.address;
      }
    }
    return v6 ? '::1' : '127.0.0.1';
  }
}

/** The source address the OS picks toward `remote`; undefined when there is no route. */
function routeSource(remote: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(remote) ? 'udp6' : 'udp4');
    const done = (address: string | undefined) => {
      socket.close();
      resolve(address);
    };
    socket.once('error', () => done(undefined));
    // Port 9 (discard): connect() only picks the route, nothing is sent.
    socket.connect(9, remote, () => {
      try {
        done(socket.address().address);
      } catch {
        done(undefined);
      }
    });
  });
}

/**
 * Locating SIP servers (RFC 3263 §4): the ordered next hops for a URI whose host may be a name.
 * NAPTR picks the transports (§4.1), SRV the hosts and ports by priority and weight (§4.2, RFC 2782),
 * A/AAAA the addresses. The caller tries the hops in order (§4.3). DNS itself (servers, TTL cache)
 * is behind `SipDns`, so this layer asks no resolver of its own.
 */
import { isIP } from 'node:net';
import { isSipUri, type Uri } from './sipUri.js';
import type { Endpoint, TransportProtocol } from './transport.js';

export interface SipSrv {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface SipNaptr {
  order: number;
  preference: number;
  flags: string;
  service: string;
  replacement: string;
}

/** The lookups RFC 3263 needs; empty lists for "no such records", rejections for failures. */
export interface SipDns {
  naptr(name: string): Promise<readonly SipNaptr[]>;
  srv(name: string): Promise<readonly SipSrv[]>;
  addresses(name: string): Promise<readonly string[]>;
}

/** A next hop and the name it came from (for logs: "served by trunk-b.example.com"). */
export interface LocatedHop extends Endpoint {
  host: string;
}

export type LocateErrorCode = 'not-sip-uri' | 'unsupported-transport' | 'not-found';

export type LocateResult =
  | { ok: true; hops: LocatedHop[] }
  | { ok: false; code: LocateErrorCode; message: string };

export interface LocateOptions {
  /** Transports this UA can use; the others' records are passed over (default udp, tcp, tls). */
  protocols?: readonly TransportProtocol[];
  /** [0, 1) for the weighted SRV order (RFC 2782); tests pass a fixed one. */
  random?: () => number;
  /** Hops at most (a large SRV set does not mean dozens of attempts). */
  maxHops?: number;
}

const NAPTR_SERVICES: Record<string, TransportProtocol> = {
  'SIP+D2U': 'udp',
  'SIP+D2T': 'tcp',
  'SIPS+D2T': 'tls',
};
const SRV_PREFIX: Record<TransportProtocol, string> = {
  udp: '_sip._udp',
  tcp: '_sip._tcp',
  tls: '_sips._tcp',
};
const DEFAULT_PORT: Record<TransportProtocol, number> = { udp: 5060, tcp: 5060, tls: 5061 };

/** The next hops for `uri`, best first. DNS failures reject (DnsError from the resolver). */
export async function locateSipServers(
  uri: Uri,
  dns: SipDns,
  options: LocateOptions = {},
): Promise<LocateResult> {
  if (!isSipUri(uri)) return { ok: false, code: 'not-sip-uri', message: `not a sip: URI: ${uri.toString()}` };
  const sips = uri.scheme === 'sips';
  // §4.1: a sips: URI is reached over TLS only.
  const supported = sips ? ['tls' as const] : (options.protocols ?? ['udp', 'tcp', 'tls']);
  const random = options.random ?? Math.random;
  const host = uri.address;
  const param = uri.transport;
  if (param !== undefined && param !== 'udp' && param !== 'tcp' && param !== 'tls') {
    return { ok: false, code: 'unsupported-transport', message: `transport=${param} is not supported` };
  }
  if (sips && param !== undefined && param !== 'tls' && param !== 'tcp') {
    return { ok: false, code: 'unsupported-transport', message: `a sips: URI cannot use transport=${param}` };
  }
  // §4.1: a transport parameter, a numeric host or an explicit port decide the transport without
  // NAPTR (sips: means TLS, transport=tcp included, RFC 3261 §26.2.2).
  const decided = param !== undefined || isIP(host) !== 0 || uri.port !== undefined;
  const fixed: TransportProtocol | undefined = sips
    ? decided
      ? 'tls'
      : undefined
    : (param ?? (decided ? 'udp' : undefined));
  const hops: LocatedHop[] = [];
  if (isIP(host)) {
    hops.push({ protocol: fixed!, address: host, port: uri.port ?? DEFAULT_PORT[fixed!], host });
  } else if (uri.port !== undefined) {
    // §4.2: an explicit port means A/AAAA only, no SRV.
    hops.push(...(await addressHops(dns, host, fixed!, uri.port)));
  } else {
    const srvNames = fixed
      ? [{ protocol: fixed, name: `${SRV_PREFIX[fixed]}.${host}` }]
      : await srvNamesFor(dns, host, supported);
    let sawSrv = false;
    for (const s of srvNames) {
      if (!supported.includes(s.protocol)) continue;
      const all = await dns.srv(s.name);
      sawSrv ||= all.length > 0;
      const records = all.filter((r) => r.target !== '' && r.target !== '.');
      for (const r of orderSrv(records, random))
        hops.push(...(await addressHops(dns, r.target, s.protocol, r.port)));
    }
    // §4.2: no SRV records at all: the name's own addresses, default port.
    if (!sawSrv) {
      const protocol = fixed ?? (sips ? 'tls' : 'udp');
      hops.push(...(await addressHops(dns, host, protocol, DEFAULT_PORT[protocol])));
    }
  }
  const unique = hops.filter(
    (h, i) =>
      hops.findIndex((o) => o.protocol === h.protocol && o.address === h.address && o.port === h.port) === i,
  );
  if (!unique.length) return { ok: false, code: 'not-found', message: `${host}: no SIP server found in DNS` };
  return { ok: true, hops: unique.slice(0, options.maxHops ?? 16) };
}

/** §4.1: NAPTR when the domain has them (SIP services, `s` flag, by order then preference), else every supported SRV. */
async function srvNamesFor(
  dns: SipDns,
  host: string,
  supported: readonly TransportProtocol[],
): Promise<Array<{ protocol: TransportProtocol; name: string }>> {
  const naptr = (await dns.naptr(host))
    .filter((r) => r.flags === 's' && NAPTR_SERVICES[r.service] !== undefined && r.replacement)
    .sort((a, b) => a.order - b.order || a.preference - b.preference);
  if (naptr.length) return naptr.map((r) => ({ protocol: NAPTR_SERVICES[r.service]!, name: r.replacement }));
  return supported.map((protocol) => ({ protocol, name: `${SRV_PREFIX[protocol]}.${host}` }));
}

async function addressHops(
  dns: SipDns,
  name: string,
  protocol: TransportProtocol,
  port: number,
): Promise<LocatedHop[]> {
  return (await dns.addresses(name)).map((address) => ({ protocol, address, port, host: name }));
}

/** RFC 2782: lowest priority first; within a priority, a weighted random order (weight 0 last-ish). */
export function orderSrv<T extends SipSrv>(records: readonly T[], random: () => number): T[] {
  const byPriority = new Map<number, T[]>();
  for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  const out: T[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    // Zero weights first, so that they only win when the draw lands on 0 (RFC 2782 "Usage rules").
    const left = byPriority.get(priority)!.sort((a, b) => a.weight - b.weight);
    while (left.length) {
      const total = left.reduce((sum, r) => sum + r.weight, 0);
      const draw = Math.floor(random() * (total + 1)); // 0..total inclusive
      let running = 0;
      let pick = left.length - 1;
      for (const [i, r] of left.entries()) {
        running += r.weight;
        if (running >= draw) {
          pick = i;
          break;
        }
      }
      out.push(...left.splice(pick, 1));
    }
  }
  return out;
}

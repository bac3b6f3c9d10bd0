/**
 * Which addresses a network prompt file may come from. A callback reply names the URL, so an
 * address on the platform's own network (private, loopback, link-local …) is refused unless the
 * operator allows it: by host name (`prompts.lan`, `*.prompts.lan`) or by CIDR
 * (`10.20.0.0/16`, `fd00::/8`, a bare address) in `media.urlAllowlist`; `media.allowPrivateUrls`
 * allows everything. The check is made on the address actually connected to, so a name that
 * resolves differently the second time (DNS rebinding) gains nothing.
 */
import { BlockList, isIP } from 'node:net';

/** What kind of address it is; everything but `public` is refused by default. */
export type AddressKind =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'unspecified'
  | 'shared'
  | 'multicast'
  | 'reserved';

const RANGES: [AddressKind, string, number, 'ipv4' | 'ipv6'][] = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['shared', '100.64.0.0', 10, 'ipv4'], // RFC 6598 carrier-grade NAT
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'], // RFC 6890 IETF protocol assignments
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'], // RFC 2544 benchmarking
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'], // includes 255.255.255.255
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  ['private', 'fc00::', 7, 'ipv6'], // RFC 4193 unique local
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
];

const LISTS = new Map<AddressKind, BlockList>();
for (const [kind, net, prefix, family] of RANGES) {
  const list = LISTS.get(kind) ?? new BlockList();
  LISTS.set(kind, list);
  list.addSubnet(net, prefix, family);
}

/** An IPv4 address carried in IPv6 (`::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`), else undefined. */
function embeddedV4(ip: string): string | undefined {
  const m = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (m) return m[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (!hex) return undefined;
  const hi = Number.parseInt(hex[1]!, 16);
  const lo = Number.parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

export function classifyAddress(ip: string): AddressKind {
  const v = isIP(ip);
  if (v === 0) throw new TypeError(`not an IP address: ${ip}`);
  const v4 = v === 6 ? embeddedV4(ip) : ip;
  const [address, family] = v4 ? [v4, 'ipv4' as const] : [ip, 'ipv6' as const];
  for (const [kind, list] of LISTS) if (list.check(address, family)) return kind;
  return 'public';
}

export function isPrivateAddress(ip: string): boolean {
  return isIP(ip) !== 0 && classifyAddress(ip) !== 'public';
}

export class AddressPolicyError extends Error {
  override name = 'AddressPolicyError';
}

export class AddressPolicy {
  readonly #allowAll: boolean;
  readonly #hosts = new Set<string>();
  readonly #suffixes: string[] = [];
  readonly #nets = new BlockList();

  /** Throws AddressPolicyError naming an entry that is neither a host name nor a CIDR. */
  constructor(options: { allowlist?: readonly string[]; allowAll?: boolean } = {}) {
    this.#allowAll = options.allowAll ?? false;
    for (const raw of options.allowlist ?? []) {
      const entry = raw.trim().toLowerCase();
      const [net, prefix, extra] = entry.split('/');
      const family = isIP(net ?? '');
      if (family) {
        const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
        if (extra !== undefined || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128))
          throw new AddressPolicyError(`media.urlAllowlist: bad CIDR "${raw}"`);
        this.#nets.addSubnet(net!, bits, family === 4 ? 'ipv4' : 'ipv6');
      } else if (
        /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/.test(entry)
      ) {
        if (entry.startsWith('*.')) this.#suffixes.push(entry.slice(1).replace(/\.$/, ''));
        else this.#hosts.add(entry.replace(/\.$/, ''));
      } else {
        throw new AddressPolicyError(`media.urlAllowlist: "${raw}" is neither a host name nor a CIDR`);
      }
    }
  }

  /** Whether a URL naming `host` may be fetched from `address` (the address connected to). */
  allows(host: string, address: string): boolean {
    if (this.#allowAll || !isPrivateAddress(address)) return true;
    const name = host.toLowerCase().replace(/\.$/, '');
    if (this.#hosts.has(name) || this.#suffixes.some((s) => name.endsWith(s))) return true;
    const v4 = isIP(address) === 6 ? embeddedV4(address) : undefined;
    return v4
      ? this.#nets.check(v4, 'ipv4') || this.#nets.check(address, 'ipv6')
      : this.#nets.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }
}

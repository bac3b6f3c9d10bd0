/**
 * Address ranges a source must come from: CIDR ranges, e.g. the loopback (127.0.0.0/8 and ::1) the
 * virtual carrier takes calls from, or the ranges a trunk sends INVITEs from. IPv4-mapped IPv6
 * sources (`::ffff:127.0.0.1`) count as their IPv4 address.
 */
import { BlockList, isIP } from 'node:net';

export const LOOPBACK_SOURCES: readonly string[] = ['127.0.0.0/8', '::1/128'];

export class SourceFilterError extends Error {
  override name = 'SourceFilterError';
}

/** A predicate for `cidrs` (e.g. `10.0.0.0/8`, `::1/128`); throws SourceFilterError for a bad range. */
export function sourceFilter(cidrs: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net, bits] = cidr.split('/');
    const family = isIP(net ?? '');
    const prefix = Number(bits ?? (family === 6 ? 128 : 32));
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new SourceFilterError(`"${cidr}" is not an address range like 10.0.0.0/8`);
    }
    list.addSubnet(net!, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return (address) => {
    const v4 = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
    const family = isIP(v4);
    return family !== 0 && list.check(v4, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/** Whether a source address is this machine's loopback (127.0.0.0/8, ::1, IPv4-mapped 127/8). */
export const isLoopbackAddress = sourceFilter(LOOPBACK_SOURCES);

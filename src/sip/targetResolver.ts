import { isIP } from 'node:net';
import { isSipUri, type Uri } from './sipUri.js';
import type { Endpoint, TransportProtocol } from './transport.js';

export type TargetErrorCode = 'not-sip-uri' | 'host-not-ip-literal' | 'unsupported-transport';

export type TargetResult =
  | { ok: true; endpoint: Endpoint }
  | { ok: false; code: TargetErrorCode; message: string };

/**
 * The next-hop address for a URI (RFC 3263 reduced to what this stack allows): the host must be an
 * IP literal — names are never resolved, so a name fails clearly instead of leaking a DNS query.
 * The `transport` parameter picks UDP/TCP/TLS; sips: means TLS; the port defaults to 5060/5061.
 */
export function resolveTarget(uri: Uri, defaultProtocol: TransportProtocol = 'udp'): TargetResult {
  if (!isSipUri(uri)) return { ok: false, code: 'not-sip-uri', message: `not a sip: URI: ${uri.toString()}` };
  const address = uri.address;
  if (isIP(address) === 0) {
    return {
      ok: false,
      code: 'host-not-ip-literal',
      message: `host ${uri.host} is not an IP literal (names are never resolved)`,
    };
  }
  const t = uri.transport;
  let protocol: TransportProtocol;
  if (uri.scheme === 'sips' || t === 'tls') protocol = 'tls';
  else if (t === undefined) protocol = defaultProtocol;
  else if (t === 'udp' || t === 'tcp') protocol = t;
  else return { ok: false, code: 'unsupported-transport', message: `transport=${t} is not supported` };
  return { ok: true, endpoint: { protocol, address, port: uri.port ?? (protocol === 'tls' ? 5061 : 5060) } };
}

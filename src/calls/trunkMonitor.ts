/**
 * OPTIONS keep-alive to the trunks that ask for it (`--options-interval`): one pinger per trunk, a
 * log line when a trunk goes down or comes back. The dialer keeps using a trunk that is down (the
 * carrier decides); the log is for operators.
 */

import { isIP } from 'node:net';
import type { Logger } from '../observability/logger.js';
import type { SipDns, SipUri, SipUserAgent, TlsClientProfile, TransportProtocol } from '../sip/index.js';
import { locateSipServers, OptionsPinger, parseUri, uriHost } from '../sip/index.js';
import type { TrunkRecord } from '../store/records.js';
import { trunkUri } from './trunkAdmin.js';
import { backgroundTlsProfile, trunkTlsProfile } from './trunkTls.js';

export class TrunkMonitor {
  readonly #pingers = new Map<string, OptionsPinger>();

  constructor(ua: SipUserAgent, trunks: readonly TrunkRecord[], log: Logger, dns: SipDns) {
    for (const t of trunks) {
      if (t.optionsIntervalS <= 0) continue;
      const host = uriHost(t.host);
      const tls = backgroundTlsProfile(t, log, 'pinged');
      if (tls === null) continue;
      const pinger = new OptionsPinger(ua, {
        ...(tls && { tls }),
        target: `sip:${host}:${t.port}`,
        transport: t.transport,
        intervalMs: t.optionsIntervalS * 1000,
        // A trunk named by host name: its first located target is pinged (RFC 3263).
        ...(isIP(t.host) === 0 && { locate: () => firstTarget(t, dns) }),
      });
      pinger.on('down', () => log.warn({ trunk: t.name }, 'trunk does not answer OPTIONS: down'));
      pinger.on('up', () => log.info({ trunk: t.name }, 'trunk answers OPTIONS: up'));
      this.#pingers.set(t.name, pinger);
      pinger.start();
    }
  }

  stop(): void {
    for (const p of this.#pingers.values()) p.stop();
    this.#pingers.clear();
  }
}

async function firstTarget(
  t: TrunkRecord,
  dns: SipDns,
): Promise<{ target: string; transport: TransportProtocol; tls?: TlsClientProfile }> {
  const base = parseUri(trunkUri(t)) as SipUri;
  const located = await locateSipServers(base, dns);
  if (!located.ok) throw new Error(located.message);
  const hop = located.hops[0]!;
  return {
    target: `sip:${uriHost(hop.address)}:${hop.port}`,
    transport: hop.protocol,
    // RFC 5922 §4: a TLS hop proves the trunk's name, wherever DNS led (as a call's does).
    ...(hop.protocol === 'tls' && { tls: trunkTlsProfile(t, base.address) }),
  };
}

/**
 * OPTIONS keep-alive to the trunks that ask for it (`--options-interval`): one pinger per trunk, a
 * log line when a trunk goes down or comes back. The dialer keeps using a trunk that is down (the
 * carrier decides); the log is for operators.
 */

import { isIP } from 'node:net';
import { type Clock, systemClock } from '../clock/clock.js';
import type { Logger } from '../observability/logger.js';
import type {
  SipDns,
  SipUri,
  SipUserAgent,
  TlsClientProfile,
  TransportProtocol,
  TrunkState,
} from '../sip/index.js';
import { locateSipServers, OptionsPinger, parseUri, uriHost } from '../sip/index.js';
import type { TrunkRecord } from '../store/records.js';
import { trunkUri } from './trunkAdmin.js';
import { backgroundTlsProfile, trunkTlsProfile } from './trunkTls.js';

/** What the keep-alive knows of a trunk (the console's trunks screen shows it). */
export interface TrunkHealth {
  state: TrunkState;
  /** Epoch ms of the last answered or failed ping; null before the first. */
  lastPingAt: number | null;
  /** The last ping's answer (`200 OK in 3 ms`) or failure (`timeout: …`). */
  lastResult: string | null;
}

export class TrunkMonitor {
  readonly #pingers = new Map<string, OptionsPinger>();
  readonly #health = new Map<string, TrunkHealth>();

  constructor(
    ua: SipUserAgent,
    trunks: readonly TrunkRecord[],
    log: Logger,
    dns: SipDns,
    clock: Clock = systemClock,
  ) {
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
      const health: TrunkHealth = { state: 'unknown', lastPingAt: null, lastResult: null };
      this.#health.set(t.name, health);
      pinger.on('ping', (result) => {
        health.state = pinger.state;
        health.lastPingAt = Math.round(clock.now());
        health.lastResult = result.ok
          ? `${result.status} ${result.reason} in ${Math.round(result.rttMs)} ms`
          : `${result.code}: ${result.message}`;
      });
      pinger.on('down', () => log.warn({ trunk: t.name }, 'trunk does not answer OPTIONS: down'));
      pinger.on('up', () => log.info({ trunk: t.name }, 'trunk answers OPTIONS: up'));
      this.#pingers.set(t.name, pinger);
      pinger.start();
    }
  }

  /** The keep-alive's view of a trunk; undefined for a trunk it does not ping. */
  health(name: string): TrunkHealth | undefined {
    const h = this.#health.get(name);
    const pinger = this.#pingers.get(name);
    return h && { ...h, state: pinger?.state ?? h.state };
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

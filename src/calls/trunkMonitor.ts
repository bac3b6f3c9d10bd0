/**
 * OPTIONS keep-alive to the trunks that ask for it (`--options-interval`): one pinger per trunk, a
 * log line when a trunk goes down or comes back. The dialer keeps using a trunk that is down (the
 * carrier decides); the log is for operators.
 */

import type { Logger } from '../observability/logger.js';
import type { SipUserAgent } from '../sip/index.js';
import { OptionsPinger, uriHost } from '../sip/index.js';
import type { TrunkRecord } from '../store/records.js';

export class TrunkMonitor {
  readonly #pingers = new Map<string, OptionsPinger>();

  constructor(ua: SipUserAgent, trunks: readonly TrunkRecord[], log: Logger) {
    for (const t of trunks) {
      if (t.optionsIntervalS <= 0) continue;
      const host = uriHost(t.host);
      const pinger = new OptionsPinger(ua, {
        target: `sip:${host}:${t.port}`,
        transport: t.transport === 'tcp' ? 'tcp' : 'udp',
        intervalMs: t.optionsIntervalS * 1000,
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

/**
 * Registration at the trunks that ask for it (`smartcall admin trunk add --register`): one SIP
 * `Registration` per trunk while the server runs, its state saved in the store on every change so
 * that `smartcall admin trunk list --json` (another process) shows it, and Expires: 0 for every
 * binding on `stop()`.
 *
 * The Contact of a trunk's binding has the user part `trunk-<name>`: the INVITEs the trunk sends
 * there arrive marked with the trunk (`IncomingInvite.registration`, see `trunkOfIncoming`).
 */

import { isIP } from 'node:net';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../observability/logger.js';
import type { Endpoint, IncomingInvite, RegistrationStatus, SipRequest, SipUserAgent } from '../sip/index.js';
import { locateSipServers, Registration, type SipDns, SipUri, uriHost } from '../sip/index.js';
import type { TrunkRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import { backgroundTlsProfile, trunkTlsProfile } from './trunkTls.js';

export interface TrunkRegistrarOptions {
  ua: SipUserAgent;
  store: Store;
  /** The trunk's digest password (opened from the store). */
  password: (t: TrunkRecord) => string | undefined;
  /** Wall-clock epoch ms for the saved times (the server's clock). */
  clock: Clock;
  log: Logger;
  /** Locates registrars named by host name (RFC 3263); without it a trunk must name an IP. */
  dns?: SipDns;
  /** Waits between attempts after failures (default: `Registration`'s 5 s … 5 min). */
  retryDelaysMs?: readonly number[];
}

/** The Contact user part a trunk's registration binds. */
export function registrationContactUser(trunkName: string): string {
  return `trunk-${trunkName}`;
}

/** The trunk an incoming INVITE was sent to us for, when it arrived on a registered Contact. */
export function trunkOfIncoming(call: IncomingInvite): string | undefined {
  return call.registration;
}

export class TrunkRegistrar {
  readonly #o: TrunkRegistrarOptions;
  readonly #registrations = new Map<string, Registration>();

  constructor(options: TrunkRegistrarOptions) {
    this.#o = options;
  }

  /** Starts a registration for every trunk with `register` set. */
  start(trunks: readonly TrunkRecord[]): void {
    for (const t of trunks) {
      if (!t.register || this.#registrations.has(t.name)) continue;
      this.#startOne(t);
    }
  }

  /** The live status of a trunk's registration (undefined when it does not register). */
  status(name: string): RegistrationStatus | undefined {
    return this.#registrations.get(name)?.status;
  }

  /**
   * Whether an INVITE is the registered flow of one of our trunks: sent to a binding's Contact
   * (`trunk-<name>`) from the registrar that binding stands at. The door admits these without a
   * `--inbound-from` range; a stranger who guesses the Contact still gets 403.
   */
  vouches(request: SipRequest, source: Endpoint): boolean {
    const user = request.uri instanceof SipUri ? request.uri.user : undefined;
    if (user === undefined) return false;
    for (const [name, r] of this.#registrations) {
      if (registrationContactUser(name) === user) return r.boundAt(source.address);
    }
    return false;
  }

  /** Unregisters every trunk (Expires: 0, bounded wait each, all at once). */
  async stop(): Promise<void> {
    const all = [...this.#registrations.values()];
    this.#registrations.clear();
    await Promise.all(all.map((r) => r.stop()));
  }

  #startOne(t: TrunkRecord): void {
    const { ua, store, clock, log } = this.#o;
    const password = this.#o.password(t);
    const host = uriHost(t.host);
    const contactUser = registrationContactUser(t.name);
    const tls = backgroundTlsProfile(t, log, 'registered');
    if (tls === null) return;
    const scheme = t.uri?.startsWith('sips:') ? 'sips' : 'sip';
    const named = isIP(t.host) === 0;
    // A name keeps the URI as given (no port: SRV picks it); an IP literal names its port.
    const registrar =
      named && t.uri ? t.uri.replace(/^sips?:[^@]*@/, `${scheme}:`) : `${scheme}:${host}:${t.port}`;
    const dns = this.#o.dns;
    const registration = new Registration(ua, {
      registrar,
      ...(named && dns
        ? {
            // Every located hop, best first: the binding keeps to one until it fails. A TLS hop
            // proves the trunk's name (RFC 5922 §4), as a call's does, wherever DNS led.
            locate: async (uri: SipUri) => {
              const found = await locateSipServers(uri, dns);
              if (!found.ok) return found.message;
              return found.hops.map((hop) => ({
                protocol: hop.protocol,
                address: hop.address,
                port: hop.port,
                ...(hop.protocol === 'tls' && { tls: tls ?? trunkTlsProfile(t, uri.address) }),
              }));
            },
          }
        : {}),
      transport: t.transport,
      ...(tls && { tls }),
      aor: `sip:${t.username ?? contactUser}@${host}${t.port === 5060 ? '' : `:${t.port}`}`,
      contactUser,
      label: t.name,
      ...(t.username !== null && password !== undefined
        ? { credentials: { username: t.username, password } }
        : {}),
      expiresS: t.registerExpiresS ?? 3600,
      ...(this.#o.retryDelaysMs ? { retryDelaysMs: this.#o.retryDelaysMs } : {}),
    });
    // The SIP layer's times are on the UA's clock; the saved ones are epoch ms.
    const toEpoch = (at: number | undefined) =>
      at === undefined ? null : Math.round(clock.now() + (at - ua.timers.clock.now()));
    let last: RegistrationStatus['state'] | undefined;
    registration.on('status', (s) => {
      try {
        store.trunks.saveRegistration(t.name, {
          state: s.state,
          expiresS: s.expiresS,
          lastError: s.lastError ?? null,
          nextAttemptAt: toEpoch(s.nextAttemptAt),
          contactUser,
          updatedAt: Math.round(clock.now()),
        });
      } catch (err) {
        log.error({ err, trunk: t.name }, 'trunk registration state not saved');
      }
      if (s.state === last) return;
      last = s.state;
      if (s.state === 'failing') {
        log.warn({ trunk: t.name, error: s.lastError, failures: s.failures }, 'trunk registration failing');
      } else if (s.state !== 'registering') {
        log.info({ trunk: t.name, expires: s.expiresS }, `trunk ${s.state}`);
      }
    });
    this.#registrations.set(t.name, registration);
    registration.start();
  }
}

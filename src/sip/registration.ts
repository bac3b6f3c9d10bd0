import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { within } from '../clock/within.js';
import {
  buildAuthorization,
  chooseChallenge,
  type DigestChallenge,
  type DigestCredentials,
} from './digestAuth.js';
import { newCallId, newTag } from './ids.js';
import { parseNameAddr } from './nameAddr.js';
import { SipHeaders } from './sipHeaders.js';
import { SipRequest, type SipResponse } from './sipMessage.js';
import { parseUri, SipUri, type Uri } from './sipUri.js';
import type { RequestOutcome, SipUserAgent } from './sipUserAgent.js';
import { resolveTarget, type TargetResult } from './targetResolver.js';
import type { Timer } from './timers.js';
import type { Endpoint, TlsClientProfile, TransportProtocol } from './transport.js';

export interface RegistrationOptions {
  /** Registrar URI, the REGISTER Request-URI: `sip:192.0.2.10:5060`, or `sip:registrar.example.com` with `locate`. */
  registrar: string;
  /**
   * Finds the registrar named by host name (RFC 3263, e.g. `locateSipServers`): its hops, best
   * first, or why there is none. The binding keeps to one hop while it answers; a transport error,
   * a timeout or a 503 moves it to the next, and past the last one the name is located again.
   * Without it the registrar must be an IP literal.
   */
  locate?: (uri: SipUri) => Promise<Endpoint | readonly Endpoint[] | string>;
  transport?: TransportProtocol;
  /** Over TLS: the name to verify and the trust to use (default: the registrar's address, system CAs). */
  tls?: TlsClientProfile;
  /** The address-of-record (To and From), e.g. `sip:alice@192.0.2.10`. */
  aor: string;
  /** User part of the Contact we bind: INVITEs sent to it are marked with `label`. */
  contactUser: string;
  /** Who the binding is for (a trunk name): `IncomingInvite.registration` carries it. */
  label: string;
  credentials?: DigestCredentials;
  /** Requested binding lifetime, seconds (default 3600). A 423 raises it to the registrar's Min-Expires. */
  expiresS?: number;
  /** Waits before the attempts after a failure; the last one repeats (default 5 s … 5 min). */
  retryDelaysMs?: readonly number[];
  /** How long `stop()` waits for the answer to its Expires: 0 (default 2 s). */
  unregisterTimeoutMs?: number;
}

export type RegistrationState = 'registering' | 'registered' | 'failing' | 'unregistered';

export interface RegistrationStatus {
  state: RegistrationState;
  /** Lifetime the registrar granted (registered), or the one asked for. */
  expiresS: number;
  /** Why the last attempt failed (`403 Forbidden`, `timeout: …`); cleared by a success. */
  lastError: string | undefined;
  /** Clock time (ms) of the next REGISTER: the refresh, or the retry after a failure. */
  nextAttemptAt: number | undefined;
  /** Consecutive failed attempts. */
  failures: number;
}

export interface RegistrationEvents {
  /** Every change of the status (attempt started, registered, failed, unregistered). */
  status: [status: RegistrationStatus];
}

const DEFAULT_RETRY_MS = [5_000, 10_000, 30_000, 60_000, 120_000, 300_000];

/** When to refresh a binding granted for `expiresS`: half-way for short ones, 30 s early otherwise. */
export function refreshDelayMs(expiresS: number): number {
  return (expiresS > 60 ? expiresS - 30 : expiresS / 2) * 1000;
}

/**
 * One binding at a registrar (RFC 3261 §10.2): REGISTER with digest (401/407 answered, the
 * challenge reused with the next nonce count on refreshes), refresh before the granted lifetime
 * ends, 423 Interval Too Brief answered with Min-Expires (§10.2.8), back-off after failures, and
 * Expires: 0 on `stop()`. One Call-ID for the binding, CSeq +1 per request (§10.2.4). It owns one
 * timer; `stop()` clears it.
 */
export class Registration extends EventEmitter<RegistrationEvents> {
  readonly #ua: SipUserAgent;
  readonly #o: RegistrationOptions;
  readonly #retryMs: readonly number[];
  readonly #callId = newCallId();
  readonly #fromTag = newTag();
  #cseq = 0;
  #expiresS: number;
  #status: RegistrationStatus;
  #challenge: { value: DigestChallenge; header: 'Authorization' | 'Proxy-Authorization' } | undefined;
  #nc = 0;
  #timer: Timer | undefined;
  #running = false;
  #inFlight: Promise<void> | undefined;
  #releaseContact: (() => void) | undefined;
  /** A binding may exist at the registrar (a REGISTER succeeded and none removed it since). */
  #bound = false;
  /** The server that accepted our binding (its last 2xx): INVITEs on our binding come from there. */
  #registrarAddress: string | undefined;
  /** The located registrar hops, and the one in use: kept until it fails (RFC 3263 §4.3). */
  #hops: readonly Endpoint[] = [];
  #hopIndex = 0;
  /** Where the last REGISTER went, and the release of the TCP/TLS flow held open for the binding. */
  #flow: Endpoint | undefined;
  #releaseFlow: (() => void) | undefined;

  constructor(ua: SipUserAgent, options: RegistrationOptions) {
    super();
    this.#ua = ua;
    this.#o = options;
    this.#retryMs = options.retryDelaysMs?.length ? options.retryDelaysMs : DEFAULT_RETRY_MS;
    this.#expiresS = options.expiresS ?? 3600;
    this.#status = {
      state: 'unregistered',
      expiresS: this.#expiresS,
      lastError: undefined,
      nextAttemptAt: undefined,
      failures: 0,
    };
  }

  get status(): RegistrationStatus {
    return { ...this.#status };
  }

  /**
   * True when `address` is the registrar this binding was made at and the binding stands: an
   * INVITE from there to our Contact is the trunk's (the "registered flow" the door admits).
   */
  boundAt(address: string): boolean {
    return this.#bound && this.#status.state === 'registered' && unmapped(address) === this.#registrarAddress;
  }

  /** Registers at once, then keeps the binding fresh until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#releaseContact = this.#ua.claimContact(this.#o.contactUser, this.#o.label);
    this.#attempt();
  }

  /** Stops refreshing; when a binding may exist, removes it (Expires: 0) and waits a bounded time. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#timer = this.#ua.timers.clear(this.#timer);
    if (this.#inFlight)
      await within(this.#inFlight, this.#o.unregisterTimeoutMs ?? 2000, this.#ua.timers.clock);
    // A failed refresh may have left the binding in place: remove it whenever one was made.
    if (this.#bound)
      await within(this.#unregister(), this.#o.unregisterTimeoutMs ?? 2000, this.#ua.timers.clock);
    this.#releaseContact?.();
    this.#releaseContact = undefined;
    this.#releaseFlow?.();
    this.#releaseFlow = undefined;
    this.#update({ state: 'unregistered', nextAttemptAt: undefined });
  }

  #attempt(): void {
    if (!this.#running) return;
    if (this.#status.state !== 'registered' && this.#status.state !== 'failing') {
      this.#update({ state: 'registering' });
    }
    const run = this.#register();
    this.#inFlight = run;
    void run.finally(() => {
      if (this.#inFlight === run) this.#inFlight = undefined;
    });
  }

  async #register(): Promise<void> {
    const result = await this.#exchange(this.#expiresS, () => this.#running);
    if (!this.#running) return;
    if (result.ok) {
      this.#bound = true;
      this.#registered(result.response);
    } else {
      this.#failed(result.error);
    }
  }

  /** Removes our binding (Expires: 0), answering a challenge if need be. */
  async #unregister(): Promise<void> {
    const result = await this.#exchange(0, () => true);
    if (result.ok) this.#bound = false;
  }

  /**
   * One REGISTER and the retries it takes: challenges answered (401/407), a 423 answered with the
   * registrar's Min-Expires. Ends with a 2xx or the reason there is none.
   */
  async #exchange(
    expiresS: number,
    wanted: () => boolean,
  ): Promise<{ ok: true; response: SipResponse } | { ok: false; error: string }> {
    let answeredFresh = false;
    for (let round = 0; round < 4; ) {
      const hop = await this.#hop();
      if (typeof hop === 'string') return { ok: false, error: `transport-error: ${hop}` };
      const outcome = await this.#send(expiresS, hop);
      if (!wanted()) return { ok: false, error: 'stopped' };
      if (!outcome.ok || outcome.response.status === 503) {
        // This server is out: the next located one takes the binding (a fresh challenge from it).
        const error = outcome.ok
          ? `${outcome.response.status} ${outcome.response.reason}`
          : `${outcome.code}: ${outcome.message}`;
        if (!this.#nextHop()) return { ok: false, error };
        this.#challenge = undefined;
        this.#nc = 0;
        answeredFresh = false;
        continue;
      }
      round++;
      const r = outcome.response;
      if (r.status >= 200 && r.status < 300) {
        if (expiresS > 0) this.#registrarAddress = unmapped(hop.address);
        return { ok: true, response: r };
      }
      if (r.status === 423 && expiresS > 0) {
        const min = Number(r.headers.get('Min-Expires'));
        if (!Number.isInteger(min) || min <= expiresS) {
          return { ok: false, error: `423 ${r.reason} without a usable Min-Expires` };
        }
        this.#expiresS = expiresS = min;
        continue;
      }
      if ((r.status === 401 || r.status === 407) && this.#takeChallenge(r, answeredFresh)) {
        answeredFresh = true;
        continue;
      }
      return { ok: false, error: `${r.status} ${r.reason}` };
    }
    return { ok: false, error: 'the registrar kept answering with challenges or 423' };
  }

  /**
   * Adopts the challenge of a 401/407. False when there is nothing to answer with, or when we
   * already answered a fresh challenge in this attempt and the registrar did not call it stale:
   * the password is wrong, and asking again would not change that.
   */
  #takeChallenge(r: SipResponse, answeredFresh: boolean): boolean {
    const name = r.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    const challenge = chooseChallenge(r.headers.getAll(name));
    if (!challenge || !this.#o.credentials) return false;
    if (answeredFresh && !challenge.stale) return false;
    this.#challenge = {
      value: challenge,
      header: r.status === 407 ? 'Proxy-Authorization' : 'Authorization',
    };
    this.#nc = 0;
    return true;
  }

  /** The registrar hop in use, located when there is none; or why there is none. */
  async #hop(): Promise<Endpoint | string> {
    const current = this.#hops[this.#hopIndex];
    if (current) return current;
    const target = parseUri(this.#o.registrar);
    if (!target) return 'malformed registrar URI';
    const found = await this.#locate(target);
    if (!found.ok) return found.message;
    this.#hops = found.endpoints;
    this.#hopIndex = 0;
    return found.endpoints[0]!;
  }

  /** Moves to the next located hop: false when there is none (the next attempt locates again). */
  #nextHop(): boolean {
    this.#hopIndex++;
    if (this.#hopIndex < this.#hops.length) return true;
    this.#hops = [];
    this.#hopIndex = 0;
    return false;
  }

  async #locate(
    target: Uri,
  ): Promise<{ ok: true; endpoints: readonly Endpoint[] } | { ok: false; message: string }> {
    if (!(this.#o.locate && target instanceof SipUri && isIP(target.address) === 0)) {
      const r: TargetResult = resolveTarget(target, this.#o.transport ?? 'udp');
      return r.ok ? { ok: true, endpoints: [r.endpoint] } : r;
    }
    try {
      const found = await this.#o.locate(target);
      if (typeof found === 'string') return { ok: false, message: `registrar ${target.host}: ${found}` };
      const endpoints = 'protocol' in found ? [found as Endpoint] : (found as readonly Endpoint[]);
      return endpoints.length
        ? { ok: true, endpoints }
        : { ok: false, message: `registrar ${target.host}: no server found` };
    } catch (err) {
      return { ok: false, message: `registrar ${target.host}: ${(err as Error).message}` };
    }
  }

  async #send(expiresS: number, hop: Endpoint): Promise<RequestOutcome> {
    const target = parseUri(this.#o.registrar)!;
    const protocol = hop.protocol;
    // A wildcard bind names the address the registrar reaches us at (the route's source), not 0.0.0.0.
    await this.#ua.learnRoutes([hop.address]);
    const h = new SipHeaders();
    h.set('Max-Forwards', '70');
    h.set('From', `<${this.#o.aor}>;tag=${this.#fromTag}`);
    h.set('To', `<${this.#o.aor}>`);
    h.set('Call-ID', this.#callId);
    h.set('CSeq', `${++this.#cseq} REGISTER`);
    h.set(
      'Contact',
      this.#ua.contactFor(protocol, this.#o.contactUser, hop.address, target.scheme === 'sips'),
    );
    h.set('Expires', String(expiresS));
    h.set('User-Agent', 'smartcall');
    if (this.#challenge && this.#o.credentials) {
      h.set(
        this.#challenge.header,
        buildAuthorization({
          challenge: this.#challenge.value,
          credentials: this.#o.credentials,
          method: 'REGISTER',
          uri: target.toString(),
          nc: ++this.#nc,
        }),
      );
    }
    h.set('Content-Length', '0');
    // A located TLS hop may carry the name to verify; otherwise the registration's own profile.
    const endpoint = protocol === 'tls' && this.#o.tls && !hop.tls ? { ...hop, tls: this.#o.tls } : hop;
    this.#flow = endpoint;
    return this.#ua.request(new SipRequest('REGISTER', target, h), endpoint);
  }

  #registered(r: SipResponse): void {
    this.#holdFlow();
    const granted = this.#grantedExpires(r);
    const delay = refreshDelayMs(granted);
    this.#schedule(delay);
    this.#update({
      state: 'registered',
      expiresS: granted,
      lastError: undefined,
      failures: 0,
      nextAttemptAt: this.#ua.timers.clock.now() + delay,
    });
  }

  /**
   * Over TCP/TLS the registrar reaches our binding on the REGISTER's connection (no listener may be
   * there for it to dial): keep it open while the binding lives, register again on a new one if it
   * drops.
   */
  #holdFlow(): void {
    const previous = this.#releaseFlow;
    this.#releaseFlow = this.#flow
      ? this.#ua.holdFlow(this.#flow, () => {
          this.#releaseFlow = undefined;
          if (this.#running && this.#status.state === 'registered') this.#schedule(0);
        })
      : undefined;
    previous?.();
  }

  /** The lifetime of our binding: its Contact's expires parameter, else Expires, else what we asked. */
  #grantedExpires(r: SipResponse): number {
    for (const value of r.headers.getList('Contact') ?? []) {
      const contact = parseNameAddr(value);
      const uri = contact?.uri;
      if (!(uri instanceof SipUri) || uri.user !== this.#o.contactUser) continue;
      const e = Number(contact?.params.get('expires'));
      if (Number.isFinite(e) && e > 0) return e;
    }
    const e = Number(r.headers.get('Expires'));
    return Number.isFinite(e) && e > 0 ? e : this.#expiresS;
  }

  #failed(error: string): void {
    const failures = this.#status.failures + 1;
    const delay = this.#retryMs[Math.min(failures, this.#retryMs.length) - 1]!;
    // A failed refresh may leave a stale challenge: the next attempt starts without one.
    this.#challenge = undefined;
    this.#nc = 0;
    this.#schedule(delay);
    this.#update({
      state: 'failing',
      lastError: error,
      failures,
      nextAttemptAt: this.#ua.timers.clock.now() + delay,
    });
  }

  #schedule(ms: number): void {
    this.#timer = this.#ua.timers.clear(this.#timer);
    if (!this.#running) return;
    this.#timer = this.#ua.timers.set(ms, () => {
      this.#timer = undefined;
      this.#attempt();
    });
  }

  #update(change: Partial<RegistrationStatus>): void {
    this.#status = { ...this.#status, expiresS: this.#expiresS, ...change };
    this.emit('status', this.status);
  }
}

/** An IPv4-mapped IPv6 source (`::ffff:a.b.c.d`, from a `::` bind) as its IPv4 address. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

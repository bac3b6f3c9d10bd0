import { EventEmitter } from 'node:events';
import type { OptionsResult, SipUserAgent } from './sipUserAgent.js';
import type { Timer } from './timers.js';
import type { TlsClientProfile, TransportProtocol } from './transport.js';

export interface OptionsPingerOptions {
  /** URI pinged, e.g. `sip:192.0.2.10:5060` (IP literal). */
  target: string;
  /**
   * Asked before each ping instead of `target`/`transport` (a trunk named by host name is located
   * anew, RFC 3263); a rejection counts as a failed ping. Its `tls` (the name a TLS hop must prove)
   * comes before the pinger's own.
   */
  locate?: () => Promise<{ target: string; transport: TransportProtocol; tls?: TlsClientProfile }>;
  transport?: TransportProtocol;
  /** Over TLS: the name to verify and the trust to use (a trunk's). */
  tls?: TlsClientProfile;
  /** Time between pings (default 30 s). */
  intervalMs?: number;
  /** Consecutive failures before `down` (default 2); one success is `up`. */
  failuresBeforeDown?: number;
}

export type TrunkState = 'unknown' | 'up' | 'down';

export interface OptionsPingerEvents {
  /** Every ping's outcome. */
  ping: [result: OptionsResult];
  up: [];
  down: [result: OptionsResult];
}

/**
 * OPTIONS keep-alive to a trunk (RFC 3261 §11): pings on an interval and reports up/down. Any
 * final response means the trunk is alive (a 404 or 405 still proves it answers); a timeout or a
 * transport error counts as a failure. It owns one timer; `stop()` clears it.
 */
export class OptionsPinger extends EventEmitter<OptionsPingerEvents> {
  readonly #ua: SipUserAgent;
  readonly #options: Required<Omit<OptionsPingerOptions, 'locate' | 'tls'>> &
    Pick<OptionsPingerOptions, 'locate' | 'tls'>;
  #state: TrunkState = 'unknown';
  #failures = 0;
  #timer: Timer | undefined;
  #running = false;
  #inFlight = false;

  constructor(ua: SipUserAgent, options: OptionsPingerOptions) {
    super();
    this.#ua = ua;
    this.#options = { transport: 'udp', intervalMs: 30_000, failuresBeforeDown: 2, ...options };
  }

  get state(): TrunkState {
    return this.#state;
  }

  /** Starts pinging at once, then every interval. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#ping();
  }

  stop(): void {
    this.#running = false;
    this.#timer = this.#ua.timers.clear(this.#timer);
  }

  async #send(): Promise<OptionsResult> {
    if (!this.#options.locate)
      return this.#ua.sendOptions(this.#options.target, this.#options.transport, this.#options.tls);
    try {
      const { target, transport, tls } = await this.#options.locate();
      return await this.#ua.sendOptions(target, transport, tls ?? this.#options.tls);
    } catch (err) {
      return { ok: false, code: 'bad-target', message: (err as Error).message };
    }
  }

  async #ping(): Promise<void> {
    if (!this.#running || this.#inFlight) return;
    this.#inFlight = true;
    const result = await this.#send();
    this.#inFlight = false;
    if (!this.#running) return;
    this.emit('ping', result);
    if (result.ok) {
      this.#failures = 0;
      if (this.#state !== 'up') {
        this.#state = 'up';
        this.emit('up');
      }
    } else if (++this.#failures >= this.#options.failuresBeforeDown && this.#state !== 'down') {
      this.#state = 'down';
      this.emit('down', result);
    }
    this.#timer = this.#ua.timers.set(this.#options.intervalMs, () => {
      this.#timer = undefined;
      void this.#ping();
    });
  }
}

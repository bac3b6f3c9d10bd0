import type { SipTimerConfig, Timer, Timers } from './timers.js';

/**
 * The UAS core's 2xx retransmission (RFC 3261 §13.3.1.4): resend every T1, doubling up to T2,
 * until the ACK arrives; give up after 64*T1 (the caller then sends BYE). Over a reliable transport
 * nothing is resent, but the ACK deadline still applies.
 */
export class SuccessRetransmitter {
  readonly cseq: number;
  readonly #timers: Timers;
  readonly #config: SipTimerConfig;
  readonly #resend: () => void;
  readonly #onGiveUp: () => void;
  #interval: number;
  #resendTimer: Timer | undefined;
  #deadline: Timer | undefined;

  constructor(
    cseq: number,
    timers: Timers,
    config: SipTimerConfig,
    reliable: boolean,
    resend: () => void,
    onGiveUp: () => void,
  ) {
    this.cseq = cseq;
    this.#timers = timers;
    this.#config = config;
    this.#resend = resend;
    this.#onGiveUp = onGiveUp;
    this.#interval = config.t1;
    if (!reliable) this.#resendTimer = timers.set(this.#interval, () => this.#tick());
    this.#deadline = timers.set(64 * config.t1, () => {
      this.#deadline = undefined;
      this.stop();
      this.#onGiveUp();
    });
  }

  #tick(): void {
    this.#resend();
    this.#interval = Math.min(this.#interval * 2, this.#config.t2);
    this.#resendTimer = this.#timers.set(this.#interval, () => this.#tick());
  }

  stop(): void {
    this.#resendTimer = this.#timers.clear(this.#resendTimer);
    this.#deadline = this.#timers.clear(this.#deadline);
  }
}

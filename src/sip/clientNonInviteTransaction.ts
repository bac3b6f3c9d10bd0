import type { SipRequest, SipResponse } from './sipMessage.js';
import type { Timer } from './timers.js';
import {
  type ClientTransactionHandler,
  isReliable,
  type TransactionContext,
  type TransactionState,
} from './transaction.js';
import type { Endpoint, TransportError } from './transport.js';

/**
 * Non-INVITE client transaction (RFC 3261 §17.1.2): Trying → Proceeding → Completed → Terminated.
 * Timer E retransmits over UDP (T1 doubling up to T2; T2 once a provisional arrived), Timer F
 * (64*T1) gives up, Timer K (T4 over UDP) absorbs response retransmissions.
 */
export class ClientNonInviteTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly target: Endpoint;
  /** The TCP/TLS connection the request went on (a dialog's flow). */
  connectionId: number | undefined;
  #state: TransactionState = 'trying';
  readonly #ctx: TransactionContext;
  readonly #handler: ClientTransactionHandler;
  readonly #reliable: boolean;
  #bytes: Buffer | undefined;
  #interval: number;
  #timerE: Timer | undefined;
  #timerF: Timer | undefined;
  #timerK: Timer | undefined;

  constructor(
    ctx: TransactionContext,
    key: string,
    request: SipRequest,
    target: Endpoint,
    handler: ClientTransactionHandler,
  ) {
    this.#ctx = ctx;
    this.key = key;
    this.request = request;
    this.target = target;
    this.#handler = handler;
    this.#reliable = isReliable(target);
    this.#interval = ctx.config.t1;
  }

  get state(): TransactionState {
    return this.#state;
  }

  start(): void {
    this.#bytes = this.#ctx.serialize(this.request);
    this.#send(this.#bytes);
    if (!this.#reliable) this.#timerE = this.#ctx.timers.set(this.#interval, () => this.#onTimerE());
    this.#timerF = this.#ctx.timers.set(64 * this.#ctx.config.t1, () => this.#onTimerF());
  }

  #send(data: Buffer): void {
    this.connectionId =
      this.#ctx.sendBytes(data, this.target, undefined, (e) => this.#onTransportError(e)) ??
      this.connectionId;
  }

  #onTimerE(): void {
    if ((this.#state !== 'trying' && this.#state !== 'proceeding') || !this.#bytes) return;
    this.#send(this.#bytes);
    const t2 = this.#ctx.config.t2;
    this.#interval = this.#state === 'proceeding' ? t2 : Math.min(this.#interval * 2, t2);
    this.#timerE = this.#ctx.timers.set(this.#interval, () => this.#onTimerE());
  }

  #onTimerF(): void {
    this.#timerF = undefined;
    if (this.#state !== 'trying' && this.#state !== 'proceeding') return;
    this.terminate();
    this.#handler.onTimeout();
  }

  #onTransportError(error: TransportError): void {
    if (this.#state !== 'trying' && this.#state !== 'proceeding') return;
    this.terminate();
    this.#handler.onTransportError(error);
  }

  receive(response: SipResponse): void {
    if (this.#state !== 'trying' && this.#state !== 'proceeding') return;
    if (response.status < 200) {
      this.#state = 'proceeding';
    } else {
      this.#state = 'completed';
      const timers = this.#ctx.timers;
      this.#timerE = timers.clear(this.#timerE);
      this.#timerF = timers.clear(this.#timerF);
      this.#timerK = timers.set(this.#reliable ? 0 : this.#ctx.config.t4, () => this.terminate());
    }
    this.#handler.onResponse(response);
  }

  terminate(): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    const timers = this.#ctx.timers;
    this.#timerE = timers.clear(this.#timerE);
    this.#timerF = timers.clear(this.#timerF);
    this.#timerK = timers.clear(this.#timerK);
    this.#ctx.removed(this.key, true);
  }
}

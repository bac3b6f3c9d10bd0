import type { SipRequest, SipResponse } from './sipMessage.js';
import type { Timer } from './timers.js';
import { isReliable, type TransactionContext, type TransactionState } from './transaction.js';
import type { Endpoint } from './transport.js';

/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2): Trying → Proceeding → Completed → Terminated.
 * Retransmitted requests get the last response again; Timer J (64*T1 over UDP) keeps the final
 * response around for them.
 */
export class ServerNonInviteTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly target: Endpoint;
  readonly connectionId: number | undefined;
  #state: TransactionState = 'trying';
  readonly #ctx: TransactionContext;
  #lastBytes: Buffer | undefined;
  #timerJ: Timer | undefined;

  constructor(
    ctx: TransactionContext,
    key: string,
    request: SipRequest,
    response: { target: Endpoint; connectionId?: number },
  ) {
    this.#ctx = ctx;
    this.key = key;
    this.request = request;
    this.target = response.target;
    this.connectionId = response.connectionId;
  }

  get state(): TransactionState {
    return this.#state;
  }

  /** True until a final response was sent. */
  get pending(): boolean {
    return this.#state === 'trying' || this.#state === 'proceeding';
  }

  respond(response: SipResponse): void {
    if (!this.pending) return;
    this.#lastBytes = this.#ctx.serialize(response);
    this.#ctx.sendBytes(this.#lastBytes, this.target, this.connectionId);
    if (response.status < 200) {
      this.#state = 'proceeding';
      return;
    }
    this.#state = 'completed';
    const wait = isReliable(this.target) ? 0 : 64 * this.#ctx.config.t1;
    this.#timerJ = this.#ctx.timers.set(wait, () => this.terminate());
  }

  /** A retransmission of the request. */
  receive(_request: SipRequest): void {
    if (this.#state !== 'trying' && this.#lastBytes)
      this.#ctx.sendBytes(this.#lastBytes, this.target, this.connectionId);
  }

  terminate(): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    this.#timerJ = this.#ctx.timers.clear(this.#timerJ);
    this.#ctx.removed(this.key, false);
  }
}

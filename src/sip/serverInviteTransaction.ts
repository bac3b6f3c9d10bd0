import { createResponse } from './messageFactory.js';
import type { SipRequest, SipResponse } from './sipMessage.js';
import type { Timer } from './timers.js';
import { isReliable, type TransactionContext, type TransactionState } from './transaction.js';
import type { Endpoint } from './transport.js';

/**
 * INVITE server transaction (RFC 3261 §17.2.1 with the Accepted state of RFC 6026 §7.1).
 *
 *   Proceeding --2xx--> Accepted --Timer L--> Terminated
 *      |--300-699--> Completed --ACK--> Confirmed --Timer I--> Terminated
 *                        +--Timer H (no ACK)--> Terminated
 *
 * 100 Trying goes out at once, so the client stops retransmitting. Retransmitted INVITEs get the
 * last response again; Timer G retransmits a non-2xx final response over UDP. 2xx retransmission
 * until the ACK is the job of the UAS core (§13.3.1.4), which sends them through `sendAgain`.
 */
export class ServerInviteTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly target: Endpoint;
  readonly connectionId: number | undefined;
  #state: TransactionState = 'proceeding';
  readonly #ctx: TransactionContext;
  readonly #reliable: boolean;
  #lastResponse: SipResponse | undefined;
  #lastBytes: Buffer | undefined;
  #interval: number;
  #timerG: Timer | undefined;
  #timerH: Timer | undefined;
  #timerI: Timer | undefined;
  #timerL: Timer | undefined;
  /** Set by the UAS core: Timer H fired, the non-2xx final response was never acknowledged. */
  onAckTimeout: (() => void) | undefined;

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
    this.#reliable = isReliable(response.target);
    this.#interval = ctx.config.t1;
  }

  get state(): TransactionState {
    return this.#state;
  }

  /** The last response sent (provisional or final). */
  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  /** The serialized last response (what a 2xx retransmission sends again). */
  get lastBytes(): Buffer | undefined {
    return this.#lastBytes;
  }

  start(): void {
    this.respond(createResponse(this.request, 100));
  }

  /** Sends a response from the TU; ignored once a final response was sent (except 2xx resends). */
  respond(response: SipResponse): void {
    if (this.#state !== 'proceeding') return;
    this.#lastResponse = response;
    this.#lastBytes = this.#ctx.serialize(response);
    this.#send(this.#lastBytes);
    const status = response.status;
    if (status < 200) return;
    const t1 = this.#ctx.config.t1;
    if (status < 300) {
      this.#state = 'accepted';
      this.#timerL = this.#ctx.timers.set(64 * t1, () => this.terminate());
      return;
    }
    this.#state = 'completed';
    if (!this.#reliable) this.#timerG = this.#ctx.timers.set(this.#interval, () => this.#onTimerG());
    this.#timerH = this.#ctx.timers.set(64 * t1, () => this.#onTimerH());
  }

  /** Sends bytes to where this transaction's responses go (2xx retransmissions of the UAS core). */
  sendAgain(data: Buffer): void {
    this.#send(data);
  }

  #send(data: Buffer): void {
    this.#ctx.sendBytes(data, this.target, this.connectionId);
  }

  #onTimerG(): void {
    if (this.#state !== 'completed' || !this.#lastBytes) return;
    this.#send(this.#lastBytes);
    this.#interval = Math.min(this.#interval * 2, this.#ctx.config.t2);
    this.#timerG = this.#ctx.timers.set(this.#interval, () => this.#onTimerG());
  }

  #onTimerH(): void {
    this.#timerH = undefined;
    if (this.#state !== 'completed') return;
    this.terminate();
    this.onAckTimeout?.();
  }

  /** A request matching this transaction: a retransmitted INVITE or the ACK of a non-2xx. */
  receive(request: SipRequest): void {
    if (request.method === 'ACK') {
      if (this.#state !== 'completed') return;
      this.#state = 'confirmed';
      const timers = this.#ctx.timers;
      this.#timerG = timers.clear(this.#timerG);
      this.#timerH = timers.clear(this.#timerH);
      this.#timerI = timers.set(this.#reliable ? 0 : this.#ctx.config.t4, () => this.terminate());
      return;
    }
    if ((this.#state === 'proceeding' || this.#state === 'completed') && this.#lastBytes)
      this.#send(this.#lastBytes);
  }

  terminate(): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    const timers = this.#ctx.timers;
    this.#timerG = timers.clear(this.#timerG);
    this.#timerH = timers.clear(this.#timerH);
    this.#timerI = timers.clear(this.#timerI);
    this.#timerL = timers.clear(this.#timerL);
    this.#ctx.removed(this.key, false);
  }
}

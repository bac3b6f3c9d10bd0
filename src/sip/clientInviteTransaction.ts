import { SipHeaders } from './sipHeaders.js';
import { SipRequest, type SipResponse } from './sipMessage.js';
import type { Timer } from './timers.js';
import {
  type ClientTransactionHandler,
  isReliable,
  type TransactionContext,
  type TransactionState,
} from './transaction.js';
import type { Endpoint, TransportError } from './transport.js';

/**
 * INVITE client transaction (RFC 3261 §17.1.1 with the Accepted state of RFC 6026 §7.2).
 *
 *   Calling --1xx--> Proceeding --2xx--> Accepted --Timer M--> Terminated
 *      |                 |--300-699--> Completed (ACK sent) --Timer D--> Terminated
 *      +--Timer B--> Terminated (timeout reported)
 *
 * Timer A retransmits the INVITE over UDP (T1, doubling). The ACK for a non-2xx final response is
 * built here (§17.1.1.3); the ACK for a 2xx belongs to the dialog and is sent by the call.
 */
export class ClientInviteTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly target: Endpoint;
  /** The TCP/TLS connection the request went on (a dialog's flow). */
  connectionId: number | undefined;
  #state: TransactionState = 'calling';
  readonly #ctx: TransactionContext;
  readonly #handler: ClientTransactionHandler;
  readonly #reliable: boolean;
  #bytes: Buffer | undefined;
  #ackBytes: Buffer | undefined;
  #interval: number;
  #timerA: Timer | undefined;
  #timerB: Timer | undefined;
  #timerD: Timer | undefined;
  #timerM: Timer | undefined;

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
    const t1 = this.#ctx.config.t1;
    if (!this.#reliable) this.#timerA = this.#ctx.timers.set(this.#interval, () => this.#onTimerA());
    this.#timerB = this.#ctx.timers.set(64 * t1, () => this.#onTimerB());
  }

  #send(data: Buffer): void {
    this.connectionId =
      this.#ctx.sendBytes(data, this.target, undefined, (e) => this.#onTransportError(e)) ??
      this.connectionId;
  }

  #onTimerA(): void {
    if (this.#state !== 'calling' || !this.#bytes) return;
    this.#send(this.#bytes);
    this.#interval *= 2;
    this.#timerA = this.#ctx.timers.set(this.#interval, () => this.#onTimerA());
  }

  #onTimerB(): void {
    this.#timerB = undefined;
    if (this.#state !== 'calling') return;
    this.terminate();
    this.#handler.onTimeout();
  }

  #onTransportError(error: TransportError): void {
    if (this.#state !== 'calling' && this.#state !== 'proceeding') return;
    this.terminate();
    this.#handler.onTransportError(error);
  }

  receive(response: SipResponse): void {
    const status = response.status;
    switch (this.#state) {
      case 'calling':
      case 'proceeding':
        this.#timerA = this.#ctx.timers.clear(this.#timerA);
        if (status < 200) {
          // Timer B only guards the Calling state (§17.1.1.2); the TU bounds ringing itself.
          this.#timerB = this.#ctx.timers.clear(this.#timerB);
          this.#state = 'proceeding';
        } else if (status < 300) {
          this.#timerB = this.#ctx.timers.clear(this.#timerB);
          this.#state = 'accepted';
          this.#timerM = this.#ctx.timers.set(64 * this.#ctx.config.t1, () => this.terminate());
        } else {
          this.#timerB = this.#ctx.timers.clear(this.#timerB);
          this.#state = 'completed';
          this.#ackBytes = this.#ctx.serialize(this.#buildAck(response));
          this.#send(this.#ackBytes);
          const wait = this.#reliable ? 0 : 64 * this.#ctx.config.t1;
          this.#timerD = this.#ctx.timers.set(wait, () => this.terminate());
        }
        this.#handler.onResponse(response);
        return;
      case 'completed':
        // A retransmitted final response: our ACK was lost (§17.1.1.2).
        if (status >= 300 && this.#ackBytes) this.#send(this.#ackBytes);
        return;
      case 'accepted':
        if (status >= 200 && status < 300) this.#handler.onResponse(response);
        return;
      default:
        return;
    }
  }

  /** §17.1.1.3: same Request-URI, Call-ID, From, CSeq number, top Via and Route; To of the response. */
  #buildAck(response: SipResponse): SipRequest {
    const req = this.request;
    const headers = new SipHeaders();
    headers.set('Via', req.topVia.toString());
    headers.set('Max-Forwards', '70');
    headers.set('From', req.headers.getAll('from'));
    headers.set('To', response.headers.getAll('to'));
    headers.set('Call-ID', req.headers.getAll('call-id'));
    headers.set('CSeq', `${req.cseq.seq} ACK`);
    const routes = req.headers.getAll('route');
    if (routes.length > 0) headers.set('Route', routes);
    return new SipRequest('ACK', req.uri, headers);
  }

  /** Stops everything; the TU uses it to abandon the transaction (§9.1: no answer to CANCEL). */
  terminate(): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    const timers = this.#ctx.timers;
    this.#timerA = timers.clear(this.#timerA);
    this.#timerB = timers.clear(this.#timerB);
    this.#timerD = timers.clear(this.#timerD);
    this.#timerM = timers.clear(this.#timerM);
    this.#ctx.removed(this.key, true);
  }
}

/**
 * The call's callbacks as turns (spec §4.2): one at a time, in the order the events happened, and a
 * reply is carried out before the next event is posted, so replies never apply out of order.
 * The port applies the failure policy; a port that rejects anyway is a bug, and ends the turns.
 */

import type { CallbackContent } from '../contract/callbackContent.js';
import type { CallbackDecision, DialoguePort } from './dialoguePort.js';

export interface CallbackTurnHandlers {
  /** A callback went out: a turn is under way (no MuteTime meanwhile). */
  posted(): void;
  /** Its reply, to carry out now; the next event is posted after this returns. */
  decided(decision: CallbackDecision): void;
  /** The port failed (it should not): nothing more is posted. */
  failed(err: unknown): void;
}

export class CallbackTurns {
  readonly #port: Pick<DialoguePort, 'callback'>;
  readonly #on: CallbackTurnHandlers;
  readonly #waiting: CallbackContent[] = [];
  #busy = false;
  #closed = false;

  constructor(port: Pick<DialoguePort, 'callback'>, handlers: CallbackTurnHandlers) {
    this.#port = port;
    this.#on = handlers;
  }

  /** No callback is out and none waits. */
  get idle(): boolean {
    return !this.#busy && this.#waiting.length === 0;
  }

  post(event: CallbackContent): void {
    if (this.#closed) return;
    this.#waiting.push(event);
    this.#next();
  }

  /** The dialogue is over: what waits is dropped; a reply still to come is ignored. */
  close(): void {
    this.#closed = true;
    this.#waiting.length = 0;
  }

  #next(): void {
    if (this.#busy || this.#closed) return;
    const event = this.#waiting.shift();
    if (!event) return;
    this.#busy = true;
    this.#on.posted();
    this.#port.callback(event).then(
      (decision) => {
        this.#busy = false;
        if (!this.#closed) this.#on.decided(decision);
        this.#next();
      },
      (err) => {
        this.#busy = false;
        this.#on.failed(err);
      },
    );
  }
}

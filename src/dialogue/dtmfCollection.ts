/**
 * One key collection (spec §4.4 `dtmf`): the keys so far, when they are complete (the terminator,
 * or `dtmf_max_numbers` keys), and the no-input clock (`dtmf_nonin_overtime`). It ends once: with
 * its keys or `noInputTimeout` through `onEnd` (spec §4.3 `dtmf` content), or silently by `close()`.
 *
 * What plays is the dialogue's business: it says when the collection is waiting (nothing plays),
 * and the no-input clock runs only then, restarting at each key.
 */

import type { Clock, TimerHandle } from '../clock/clock.js';
import { DTMF_NO_INPUT } from '../contract/callbackContent.js';
import type { DtmfSettings } from '../contract/callbackReply.js';

export class DtmfCollection {
  readonly #settings: DtmfSettings;
  readonly #time: Clock;
  readonly #onEnd: (dtmfDigits: string) => void;
  #digits = '';
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(settings: DtmfSettings, time: Clock, onEnd: (dtmfDigits: string) => void) {
    this.#settings = settings;
    this.#time = time;
    this.#onEnd = onEnd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A key: it ends the collection if it completes it, else restarts a running no-input clock. */
  key(digit: string): void {
    if (this.#closed) return;
    this.#digits += digit;
    const { endCharacter, maxDigits } = this.#settings;
    if ((endCharacter !== '' && digit === endCharacter) || this.#digits.length >= maxDigits) {
      this.#end();
      return;
    }
    if (this.#timer !== undefined) {
      this.#stopClock();
      this.#startClock();
    }
  }

  /** Whether keys are being waited for with nothing playing: the no-input clock runs only then. */
  setWaiting(waiting: boolean): void {
    if (this.#closed) return;
    if (!waiting) this.#stopClock();
    else if (this.#timer === undefined) this.#startClock();
  }

  /** Ends the collection without a report (the call ended, or another collection replaced it). */
  close(): void {
    this.#closed = true;
    this.#stopClock();
  }

  #startClock(): void {
    this.#timer = this.#time.setTimer(() => {
      this.#timer = undefined;
      this.#end();
    }, this.#settings.noInputTimeoutS * 1000);
  }

  #stopClock(): void {
    if (this.#timer !== undefined) this.#time.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  #end(): void {
    if (this.#closed) return;
    this.close();
    this.#onEnd(this.#digits || DTMF_NO_INPUT);
  }
}

/**
 * The call's key collection, when a `dtmf` action opened one (spec §4.4): at most one at a time.
 * It ties a `DtmfCollection` to what plays — the collection's prompt waits in the playback queue,
 * a key may cut that prompt, the no-input clock runs only while nothing plays or waits — and
 * reports the keys through `onKeys`, exactly once per collection unless it is cancelled first.
 * `close()`: the dialogue is over; no collection opens any more.
 */

import type { Clock } from '../clock/clock.js';
import type { DtmfSettings } from '../contract/callbackReply.js';
import { DtmfCollection } from './dtmfCollection.js';
import { keyEndsPrompt } from './interruptionRules.js';
import type { PlaybackQueue } from './playbackQueue.js';

export class DtmfCollector {
  readonly #time: Clock;
  readonly #queue: PlaybackQueue;
  readonly #onKeys: (dtmfDigits: string) => void;
  #current: DtmfCollection | undefined;
  #closed = false;

  constructor(time: Clock, queue: PlaybackQueue, onKeys: (dtmfDigits: string) => void) {
    this.#time = time;
    this.#queue = queue;
    this.#onKeys = onKeys;
  }

  /** Keys are being collected (speech is then no turn of its own, and there is no MuteTime). */
  get collecting(): boolean {
    return this.#current !== undefined;
  }

  /**
   * Opens a collection at once (its prompt, if any, is queued by the caller). One still open is
   * cancelled: the business asked again, and the new collection's callback answers both
   * (reporting the replaced one as well would make a business that asks again on each
   * noInputTimeout loop without end).
   */
  open(settings: DtmfSettings): void {
    this.cancel();
    if (this.#closed) return;
    const collection: DtmfCollection = new DtmfCollection(settings, this.#time, (digits) => {
      if (this.#current === collection) this.cancel();
      this.#onKeys(digits);
    });
    this.#current = collection;
  }

  /**
   * A key; outside a collection it is ignored. It ends the prompt asking for it (the callee already
   * knows what to press), unless that prompt may not be interrupted (action_code_break=false, spec
   * §4.5 rule 1): it then plays on, and the key still counts (why: test/dialogue/dtmfCollection.test.ts).
   */
  key(digit: string): void {
    const c = this.#current;
    if (!c) return;
    if (keyEndsPrompt(this.#queue.playing)) this.#queue.stopAll();
    c.key(digit);
  }

  /**
   * The no-input clock runs while keys are awaited and nothing plays or waits to play: it starts
   * when the last media ends however it ended (completed, cut by a key, a timebreak or a `break`),
   * or at once when nothing plays. Called whenever that may have changed.
   */
  update(): void {
    this.#current?.setWaiting(this.#queue.idle);
  }

  /** The dialogue is over: the collection ends unreported, and no other opens. */
  close(): void {
    this.#closed = true;
    this.cancel();
  }

  /** Ends the collection without a callback; its prompt, if it has not started, no longer plays. */
  cancel(): void {
    const c = this.#current;
    if (!c) return;
    c.close();
    this.#current = undefined;
    this.#queue.dropPending('dtmf');
  }
}

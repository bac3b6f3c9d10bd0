/**
 * MuteTime (spec §4.5 rule 5): a `mute` callback after MuteTime of quiet. What counts as quiet is
 * the dialogue's to say; this owns the one timer: it starts when quiet begins, is dropped as soon
 * as it ends, and fires at most once per stretch of quiet. `close()` clears it.
 */

import type { Clock, TimerHandle } from '../clock/clock.js';

export class MuteTimer {
  readonly #time: Clock;
  readonly #onMute: () => void;
  #timer: TimerHandle | undefined;

  constructor(time: Clock, onMute: () => void) {
    this.#time = time;
    this.#onMute = onMute;
  }

  /**
   * Called whenever quiet may have begun or ended. A running clock keeps running while quiet lasts
   * (a later MuteTime applies from the next stretch of quiet).
   */
  update(quiet: boolean, muteTimeMs: number): void {
    if (!quiet) {
      this.close();
      return;
    }
    if (this.#timer !== undefined) return;
    this.#timer = this.#time.setTimer(() => {
      this.#timer = undefined;
      this.#onMute();
    }, muteTimeMs);
  }

  close(): void {
    if (this.#timer !== undefined) this.#time.clearTimer(this.#timer);
    this.#timer = undefined;
  }
}

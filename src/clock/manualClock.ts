/**
 * A Clock that only moves when told to: tests call {@link ManualClock.advance} and due timers fire
 * in order, each seeing `now()` equal to its due time plus an optional simulated lateness (to
 * check that drift-correcting code really corrects).
 */
import type { Clock, TimerHandle } from './clock.js';

interface ManualTimer {
  id: number;
  due: number;
  callback: () => void;
}

export interface ManualClockOptions {
  /** Initial time in epoch ms (default 1_700_000_000_000). */
  start?: number;
  /** Extra delay for the timer due at `due`, in ms (default none): a stand-in for a busy event loop. */
  lateness?: (due: number) => number;
}

export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: ManualTimer[] = [];
  readonly #lateness: ((due: number) => number) | undefined;

  constructor(options: ManualClockOptions = {}) {
    this.#now = options.start ?? 1_700_000_000_000;
    this.#lateness = options.lateness;
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const due = this.#now + Math.max(0, delayMs);
    const timer = { id: this.#nextId++, due: due + (this.#lateness?.(due) ?? 0), callback };
    this.#timers.push(timer);
    return timer.id;
  }

  clearTimer(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Pending timers (tests assert none are left). */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in due order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.#timers) if (t.due <= target && (!next || t.due < next.due)) next = t;
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.due);
      next.callback();
    }
    this.#now = target;
  }

  /**
   * Like {@link advance}, but lets promise callbacks run between timers: for code under test that
   * awaits between one timer and the next.
   */
  async advanceAsync(ms: number, step = 1): Promise<void> {
    for (let moved = 0; moved < ms; moved += step) {
      this.advance(Math.min(step, ms - moved));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

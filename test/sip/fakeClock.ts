import type { SipClock } from '../../src/sip/timers.js';

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock that only moves when told to; timers fire in time order during `advance`. */
export class FakeClock implements SipClock {
  #now = 0;
  #seq = 0;
  #queue: Scheduled[] = [];

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const item = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#queue.push(item);
    return item;
  }

  clearTimeout(handle: unknown): void {
    this.#queue = this.#queue.filter((i) => i !== handle);
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Moves time forward, firing every timer due (including ones scheduled meanwhile). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#queue[0];
      if (!next || next.at > end) break;
      this.#queue.shift();
      this.#now = next.at;
      next.fn();
    }
    this.#now = end;
  }
}

/**
 * One call's playout queue: items (audio sources) play back to back, one 20 ms frame per media clock
 * tick, each with its own gain. The frame is produced inside the tick that sends it — nothing is
 * prepared ahead of the wire — so after {@link flush} (barge-in) the very next tick carries silence.
 *
 * Events carry the tick time plus the position inside the frame, so "ended at" is when the last
 * sample left, not when the tick started.
 */
import { EventEmitter } from 'node:events';
import type { AudioSource } from './audioSource.js';
import { FRAME_SAMPLES, SAMPLES_PER_MS } from './frame.js';
import { applyGain, dbToGain } from './gain.js';

export interface PlayOptions {
  /** Caller's id for events (default `play-N`). */
  id?: string;
  /** Gain in dB (0 = as recorded); see smartCallVolumeToDb for SmartCall's Volume. */
  gainDb?: number;
}

export interface PlayoutStarted {
  id: string;
  /** Time (clock ms) the item's first sample went out. */
  at: number;
}

export interface PlayoutEnded {
  id: string;
  at: number;
  /** `completed`: the source ran out; `flushed`: dropped by flush() (also for items never started). */
  reason: 'completed' | 'flushed';
  /** Audio of this item that was played, in ms. */
  playedMs: number;
}

export interface PlayoutEvents {
  started: [PlayoutStarted];
  ended: [PlayoutEnded];
}

interface Item {
  id: string;
  source: AudioSource;
  gain: number;
  startedAt: number | undefined;
  played: number;
}

export class Playout extends EventEmitter<PlayoutEvents> {
  readonly #frame: number;
  readonly #queue: Item[] = [];
  #current: Item | undefined;
  #nextId = 1;
  #starvedFrames = 0;

  constructor(options: { frameSamples?: number } = {}) {
    super();
    this.#frame = options.frameSamples ?? FRAME_SAMPLES;
  }

  /** Queues a source behind whatever is queued; returns the item id. */
  enqueue(source: AudioSource, options: PlayOptions = {}): string {
    const id = options.id ?? `play-${this.#nextId++}`;
    this.#queue.push({ id, source, gain: dbToGain(options.gainDb ?? 0), startedAt: undefined, played: 0 });
    return id;
  }

  /** The item on the wire now, and since when. */
  get current(): { id: string; startedAt: number } | undefined {
    const c = this.#current;
    return c?.startedAt !== undefined ? { id: c.id, startedAt: c.startedAt } : undefined;
  }

  /** Items waiting behind the current one. */
  get queued(): number {
    return this.#queue.length;
  }

  /** True when something is playing or queued. */
  get busy(): boolean {
    return this.#current !== undefined || this.#queue.length > 0;
  }

  /** Frames that went out (partly) silent because a streaming source had nothing yet. */
  get starvedFrames(): number {
    return this.#starvedFrames;
  }

  /**
   * Fills `out[0..frame)` for the tick at `time` and advances. Returns false when nothing is
   * playing (out is then silence); true when an item is current, even if it was starved.
   */
  next(out: Int16Array, time: number): boolean {
    const frame = this.#frame;
    let filled = 0;
    while (filled < frame) {
      let item = this.#current;
      if (!item) {
        item = this.#queue.shift();
        if (!item) break;
        this.#current = item;
      }
      const n = item.source.read(out, filled, frame - filled);
      if (n > 0) {
        if (item.startedAt === undefined) {
          item.startedAt = time + filled / SAMPLES_PER_MS;
          this.emit('started', { id: item.id, at: item.startedAt });
        }
        applyGain(out, filled, n, item.gain);
        item.played += n;
        filled += n;
      }
      if (filled < frame) {
        if (!item.source.done) {
          this.#starvedFrames++;
          break; // starved stream: pad silence, keep the item
        }
        this.#finish(item, time + filled / SAMPLES_PER_MS, 'completed');
      }
    }
    if (filled < frame) out.fill(0, filled, frame);
    if (this.#current?.source.done) this.#finish(this.#current, time + frame / SAMPLES_PER_MS, 'completed');
    return filled > 0 || this.#current !== undefined;
  }

  /**
   * Barge-in: drops the current item and everything queued, right now. Each gets an `ended`
   * event with reason `flushed`. `now` stamps those events.
   */
  flush(now: number): void {
    const dropped = this.#current ? [this.#current, ...this.#queue] : [...this.#queue];
    this.#current = undefined;
    this.#queue.length = 0;
    for (const item of dropped) {
      item.source.close?.();
      this.emit('ended', { id: item.id, at: now, reason: 'flushed', playedMs: item.played / SAMPLES_PER_MS });
    }
  }

  #finish(item: Item, at: number, reason: 'completed'): void {
    if (this.#current === item) this.#current = undefined;
    item.source.close?.();
    if (item.startedAt === undefined) {
      // An empty source still reports start and end, so callers waiting on either are released.
      item.startedAt = at;
      this.emit('started', { id: item.id, at });
    }
    this.emit('ended', { id: item.id, at, reason, playedMs: item.played / SAMPLES_PER_MS });
  }
}

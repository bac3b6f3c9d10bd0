/**
 * What plays and what waits to play, one media at a time, in order — and when the last one played
 * (`play_begin_time` / `play_end_time`). A media starts when queued with nothing playing, or when
 * the engine moves on after one ended; `onPlaying` runs just before the port is told to play it.
 * `stopAll()` asks the port to flush; the port reports the flushed media ended like any other.
 * `close()`: nothing more starts (what plays is the port's to stop).
 */

import type { DialoguePort, PlayRequest, TtsSettings } from './dialoguePort.js';
import { type MediaRequest, mayInterrupt, type Playing } from './interruptionRules.js';

type QueuePort = Pick<DialoguePort, 'play' | 'stopPlayback' | 'playingItem'>;

/** When the last media played; `endedAt` undefined while it still plays. */
export interface LastPlay {
  startedAt: number;
  endedAt: number | undefined;
}

export class PlaybackQueue {
  readonly #port: QueuePort;
  readonly #onPlaying: () => void;
  #playing: Playing | undefined;
  readonly #pending: PlayRequest[] = [];
  #lastPlay: LastPlay | undefined;
  #nextId = 1;
  #closed = false;

  /** `onPlaying`: a media became the one playing (what waits on playback may now change). */
  constructor(port: QueuePort, onPlaying: () => void) {
    this.#port = port;
    this.#onPlaying = onPlaying;
  }

  get playing(): Playing | undefined {
    return this.#playing;
  }

  /** Nothing plays and nothing waits to. */
  get idle(): boolean {
    return !this.#playing && this.#pending.length === 0;
  }

  get lastPlay(): LastPlay | undefined {
    return this.#lastPlay;
  }

  /** Queues a media, spoken with the TTS settings of now; it plays at once if nothing does. */
  enqueue(request: MediaRequest, tts: TtsSettings | undefined): void {
    this.#pending.push({ ...request, id: `m${this.#nextId++}`, tts });
    if (!this.#playing) this.playNext();
  }

  /** Starts the next media waiting, if nothing plays. */
  playNext(): void {
    if (this.#closed || this.#playing) return;
    const next = this.#pending.shift();
    if (!next) return;
    this.#playing = { ...next, startedAt: undefined };
    this.#onPlaying();
    this.#port.play(next);
  }

  /** The port started play `id`; false if that is not the media playing. */
  started(id: string, at: number): boolean {
    if (this.#playing?.id !== id) return false;
    this.#playing.startedAt = at;
    this.#lastPlay = { startedAt: at, endedAt: undefined };
    return true;
  }

  /** The port ended play `id` (completed or not): the media it was, if it was the one playing. */
  ended(id: string, at: number): Playing | undefined {
    const ended = this.#playing;
    if (ended?.id !== id) return undefined;
    this.#playing = undefined;
    if (this.#lastPlay && this.#lastPlay.endedAt === undefined) this.#lastPlay.endedAt = at;
    return ended;
  }

  /** `current_media_code` (spec §4.3): the item sounding now, `""` when nothing plays. */
  currentItem(): string {
    const p = this.#playing;
    if (!p) return '';
    return this.#port.playingItem(p.id) ?? p.code;
  }

  /** Spec §4.5 rule 2: stop what plays only if it may be interrupted. */
  interruptIf(requested: boolean): void {
    if (mayInterrupt(this.#playing, requested)) this.stopAll();
  }

  /** Drops what waits and flushes what plays (playbackEnded, not completed, follows from the port). */
  stopAll(): void {
    this.#pending.length = 0;
    if (this.#playing) this.#port.stopPlayback();
  }

  /** Drops what waits; what plays plays on. */
  clearPending(): void {
    this.#pending.length = 0;
  }

  /** The dialogue is over: what waits is dropped and nothing more starts. */
  close(): void {
    this.#closed = true;
    this.#pending.length = 0;
  }

  /** Drops the waiting media of one purpose (a key collection's prompt, once it is over). */
  dropPending(purpose: PlayRequest['purpose']): void {
    const rest = this.#pending.filter((p) => p.purpose !== purpose);
    this.#pending.splice(0, this.#pending.length, ...rest);
  }
}

/**
 * Several sources played back to back as one playout item (a VoiceCode of files and TTS variables
 * is one "media" for barge-in). An element may still be on its way (a TTS stream starting, a
 * network file downloading): until it arrives the sequence is starved (the playout sends silence),
 * and an element that fails to arrive is skipped.
 */
import type { AudioSource } from './audioSource.js';

export type PendingSource = AudioSource | Promise<AudioSource>;

export class SequenceSource implements AudioSource {
  readonly #elements: ({ source: AudioSource } | { pending: true } | { failed: true })[];
  #index = 0;
  #closed = false;
  /** Samples read so far, and where each element after the first began (for followPlayback). */
  #read = 0;
  readonly #starts: number[] = [];
  #played: (() => number) | undefined;

  constructor(elements: readonly PendingSource[], onFailure?: (index: number, err: unknown) => void) {
    this.#elements = elements.map((e, i) => {
      if (!(e instanceof Promise)) return { source: e };
      const slot: { source?: AudioSource; pending?: true; failed?: true } = { pending: true };
      e.then(
        (source) => {
          delete slot.pending;
          if (this.#closed) source.close?.();
          else slot.source = source;
        },
        (err) => {
          delete slot.pending;
          slot.failed = true;
          onFailure?.(i, err);
        },
      );
      return slot as { pending: true };
    });
  }

  /**
   * The element being heard now: the one being read, or, when the source is read ahead of playback
   * (followPlayback), the one under the played position. The element count once done.
   */
  get index(): number {
    if (!this.#played || this.#closed) return this.#index;
    const played = this.#played();
    // #starts[k] is where element k + 1 began; elements skipped (failed, empty) begin where the next does.
    let index = 0;
    while (index < this.#starts.length && this.#starts[index]! <= played) index++;
    return index;
  }

  followPlayback(played: () => number): void {
    this.#played = played;
  }

  get done(): boolean {
    return this.#closed || this.#index >= this.#elements.length;
  }

  read(out: Int16Array, offset: number, count: number): number {
    let written = 0;
    while (written < count && this.#index < this.#elements.length) {
      const slot = this.#elements[this.#index]! as { source?: AudioSource; pending?: true; failed?: true };
      if (slot.failed) {
        this.#next(this.#read + written);
        continue;
      }
      if (!slot.source) break; // still on its way: starved for now
      const n = slot.source.read(out, offset + written, count - written);
      written += n;
      if (slot.source.done) {
        slot.source.close?.();
        this.#next(this.#read + written);
      } else if (n === 0) {
        break; // the element itself is starved (a stream waiting for its next chunk)
      }
    }
    this.#read += written;
    return written;
  }

  /** The next element begins at sample `at` of the sequence. */
  #next(at: number): void {
    this.#index++;
    this.#starts.push(at);
  }

  close(): void {
    this.#closed = true;
    for (const slot of this.#elements as { source?: AudioSource }[]) slot.source?.close?.();
  }
}

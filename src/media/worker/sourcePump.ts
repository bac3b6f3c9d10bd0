/**
 * Feeds an AudioSource built on the main thread (a prompt sequence with files still decoding, a TTS
 * stream, a bridged leg) to a playout item in a media worker, as PCM chunks.
 *
 * It reads ahead of the worker's playout by at most `aheadMs` of audio (default 3 s): enough that
 * the worker never starves because the main thread is busy for a moment, little enough that a
 * barge-in wastes little work and a thousand long prompts do not sit in memory twice. A source
 * that is starved (its next element still on its way) is asked again on the next poll.
 *
 * Reading ahead would make a source's own notion of "where playback is" (SequenceSource.index) run
 * up to `aheadMs` early: a source that offers `followPlayback` is told how much was really played.
 */
import type { AudioSource } from '../audioSource.js';

const SAMPLES_PER_MS = 8;

/** One scratch buffer for every pump (they run one at a time): a read allocates only what it got. */
let scratch = new Int16Array(0);

export class SourcePump {
  readonly #source: AudioSource;
  readonly #send: (pcm: Int16Array, end: boolean) => void;
  readonly #aheadSamples: number;
  #sent = 0;
  #startedAt: number | undefined;
  #finished = false;
  /** The last read got less than asked: the source is waiting for material, ask every poll. */
  #starved = false;

  constructor(
    source: AudioSource,
    send: (pcm: Int16Array, end: boolean) => void,
    now: () => number,
    aheadMs = 3000,
  ) {
    this.#source = source;
    this.#send = send;
    this.#aheadSamples = aheadMs * SAMPLES_PER_MS;
    // A source that reports where playback is (a prompt's items) follows what was heard, not what
    // was read ahead: samples played since the worker started the item, never past what was sent.
    source.followPlayback?.(() =>
      this.#startedAt === undefined
        ? 0
        : Math.min(this.#sent, Math.max(0, now() - this.#startedAt) * SAMPLES_PER_MS),
    );
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** The worker started playing the item at `at` (clock ms): read-ahead is measured from here. */
  started(at: number): void {
    this.#startedAt = at;
  }

  /** Reads what the source has, up to the read-ahead bound at `now`, and sends it. */
  pump(now: number): void {
    if (this.#finished) return;
    const played = this.#startedAt === undefined ? 0 : Math.max(0, now - this.#startedAt) * SAMPLES_PER_MS;
    const room = Math.floor(played + this.#aheadSamples - this.#sent);
    // Top up in big steps (half the read-ahead at a time): one message a second and a half per
    // long prompt, not one a tick.
    if (room <= 0 || (!this.#starved && this.#sent > 0 && room < this.#aheadSamples / 2)) return;
    if (scratch.length < room) scratch = new Int16Array(room);
    let n: number;
    try {
      n = this.#source.read(scratch, 0, room);
    } catch {
      // a source that throws is over, as the in-thread playout would drop it
      this.#finished = true;
      this.#send(new Int16Array(0), true);
      return;
    }
    this.#sent += n;
    const done = this.#source.done;
    this.#starved = n < room && !done;
    if (n > 0 || done) this.#send(scratch.slice(0, n), done);
    if (done) this.#finished = true;
  }

  /** Stops feeding (flushed, ended, closed) and releases the source. */
  stop(): void {
    this.#finished = true;
    this.#source.close?.();
  }
}

/**
 * RFC 4733 DTMF sender, paced by the caller's 20 ms tick (it owns no timer). Per digit (§2.5.1):
 * every packet of the event carries the timestamp of the event's start; the first has the marker
 * bit (§2.5.1.3); each later one reports the duration so far; the last has the E bit and is sent
 * three times in all (§2.5.1.4: the final packet is retransmitted twice), one per tick, each a new
 * RTP packet with its own sequence number. While a digit is on the wire, {@link busy} is true and
 * the owner pauses its audio (§2.5.1.1 forbids overlapping audio for the same tone); between digits
 * there is a gap in which audio flows again.
 */
import { dtmfEventCode, writeTelephoneEvent } from './telephoneEvent.js';

export interface DtmfSenderOptions {
  /** Tone length of each digit (default 100 ms), rounded to whole frames. */
  durationMs?: number;
  /** Pause after each digit (default 60 ms), rounded to whole frames. */
  gapMs?: number;
  /** Reported power in -dBm0 (default 10). */
  volume?: number;
  /** Samples per tick (default 160: 20 ms at 8 kHz). */
  frameSamples?: number;
  /** Timestamp units per millisecond (default 8). */
  samplesPerMs?: number;
}

/** Sent-digit record handed back by {@link DtmfSender.takeCompleted}. */
export interface SentDtmfDigit {
  digit: string;
  /** Media timestamp (the caller's timeline, not offset by the RTP base) of the event's start. */
  timestamp: number;
  durationMs: number;
}

const END_PACKETS = 3;

export class DtmfSender {
  readonly #frame: number;
  readonly #toneFrames: number;
  readonly #gapFrames: number;
  readonly #volume: number;
  readonly #samplesPerMs: number;
  #queue = '';
  // Current digit: code, start timestamp, frames of tone sent, end packets sent, gap frames left.
  #event = -1;
  #digit = '';
  #startTs = 0;
  #toneSent = 0;
  #endSent = 0;
  #gapLeft = 0;
  #marker = false;
  #timestamp = 0;
  #completed: SentDtmfDigit | null = null;

  constructor(options: DtmfSenderOptions = {}) {
    this.#frame = options.frameSamples ?? 160;
    this.#samplesPerMs = options.samplesPerMs ?? 8;
    const frameMs = this.#frame / this.#samplesPerMs;
    this.#toneFrames = Math.max(2, Math.round((options.durationMs ?? 100) / frameMs));
    this.#gapFrames = Math.max(0, Math.round((options.gapMs ?? 60) / frameMs));
    this.#volume = options.volume ?? 10;
    // The duration field is 16 bits (§2.5.1.3 handles longer events by splitting; we do not need them).
    if (this.#toneFrames * this.#frame > 0xffff) throw new RangeError('DTMF duration too long');
  }

  /** Queues digits (0-9, *, #, A-D). Throws a RangeError naming the first invalid character. */
  enqueue(digits: string): void {
    for (const ch of digits) {
      if (dtmfEventCode(ch) < 0) throw new RangeError(`not a DTMF digit: ${JSON.stringify(ch)}`);
    }
    this.#queue += digits.toUpperCase();
  }

  /** True while an event's packets are being sent: the audio stream must pause. */
  get busy(): boolean {
    return this.#event >= 0;
  }
  /** True while anything is queued, being sent, or in an inter-digit gap. */
  get pending(): boolean {
    return this.#event >= 0 || this.#gapLeft > 0 || this.#queue.length > 0;
  }
  /** Marker bit of the packet last produced by {@link next}. */
  get marker(): boolean {
    return this.#marker;
  }
  /** Timestamp (media timeline) of the packet last produced by {@link next}. */
  get timestamp(): number {
    return this.#timestamp;
  }

  /**
   * Advances one tick. `mediaTs` is the media timestamp of this tick. When an event packet is due,
   * writes its 4-byte payload at `out[offset]` and returns true ({@link marker} and
   * {@link timestamp} describe it); false when this tick carries audio instead.
   */
  next(mediaTs: number, out: Uint8Array, offset = 0): boolean {
    if (this.#event < 0) {
      if (this.#gapLeft > 0) {
        this.#gapLeft--;
        return false;
      }
      if (this.#queue.length === 0) return false;
      this.#digit = this.#queue[0]!;
      this.#queue = this.#queue.slice(1);
      this.#event = dtmfEventCode(this.#digit);
      this.#startTs = mediaTs;
      this.#toneSent = 0;
      this.#endSent = 0;
    }
    this.#timestamp = this.#startTs;
    this.#marker = this.#toneSent === 0;
    if (this.#toneSent < this.#toneFrames - 1) {
      this.#toneSent++;
      writeTelephoneEvent(out, offset, this.#event, false, this.#volume, this.#toneSent * this.#frame);
      return true;
    }
    // Final duration, E bit, three times.
    this.#toneSent = this.#toneFrames;
    const duration = this.#toneFrames * this.#frame;
    writeTelephoneEvent(out, offset, this.#event, true, this.#volume, duration);
    this.#endSent++;
    if (this.#endSent === END_PACKETS) {
      this.#completed = {
        digit: this.#digit,
        timestamp: this.#startTs,
        durationMs: duration / this.#samplesPerMs,
      };
      this.#event = -1;
      this.#gapLeft = this.#gapFrames;
    }
    return true;
  }

  /** The digit whose last packet the latest {@link next} sent, once; otherwise null. */
  takeCompleted(): SentDtmfDigit | null {
    const done = this.#completed;
    this.#completed = null;
    return done;
  }

  /** Drops queued digits; a digit already on the wire still finishes with its end packets. */
  clearQueue(): void {
    this.#queue = '';
  }
}

/**
 * What every streaming adapter shares: frames written before the engine is ready are queued (up to
 * a bound), the stream position in ms, one terminal failure reported once as a `rejected` event,
 * and `finish()` that never waits longer than the engine's timeout.
 */
import type { AsrEvent } from '../asr.js';

export class RemoteStreamState {
  readonly onEvent: (e: AsrEvent) => void;
  readonly timeoutMs: number;
  /** Samples per millisecond of what {@link write} receives (8 for 8 kHz, 16 for 16 kHz). */
  readonly #samplesPerMs: number;
  /** Audio written so far, ms. */
  positionMs = 0;
  failed = false;
  closed = false;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #send: ((pcm: Buffer) => void) | null = null;

  constructor(onEvent: (e: AsrEvent) => void, timeoutMs: number, sampleRate = 8000) {
    this.onEvent = onEvent;
    this.timeoutMs = timeoutMs;
    this.#samplesPerMs = sampleRate / 1000;
  }

  /**
   * Queues or sends one frame; 10 s of backlog at most, so a stuck engine cannot grow memory.
   * `durationMs`: the call audio the frame stands for, when it was resampled (default: its length).
   */
  write(frame: Int16Array, durationMs = frame.length / this.#samplesPerMs): void {
    this.positionMs += durationMs;
    if (this.failed || this.closed) return;
    const pcm = Buffer.from(frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength));
    if (this.#send) {
      this.#send(pcm);
      return;
    }
    if (this.#queuedBytes > 20 * this.#samplesPerMs * 1000) return;
    this.#queue.push(pcm);
    this.#queuedBytes += pcm.length;
  }

  /** The engine is ready: flush the backlog and send directly from now on. */
  open(send: (pcm: Buffer) => void): void {
    this.#send = send;
    for (const pcm of this.#queue) send(pcm);
    this.#queue = [];
    this.#queuedBytes = 0;
  }

  /** Reports the engine's failure once, as a rejection covering the audio so far. */
  fail(detail: string): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.#send = null;
    this.onEvent({ type: 'rejected', reason: 'error', beginMs: 0, endMs: this.positionMs, detail });
  }
}

export { within } from '../../clock/within.js';

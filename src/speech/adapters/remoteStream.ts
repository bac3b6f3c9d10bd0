/**
 * What every streaming adapter shares: frames written before the engine is ready are queued (up to
 * a bound), the stream position in ms, one terminal failure reported once as a `rejected` event,
 * and `finish()` that never waits longer than the engine's timeout.
 *
 * Backpressure: once open, a frame is sent only while the socket holds less than
 * {@link MAX_UNSENT_MS} of audio it could not write yet (`bufferedAmount`). A server that stops
 * reading makes the stream fail (`fatal`, with the amount unsent) rather than grow memory: the call
 * then reconnects or falls back (resilientAsrStream.ts). Audio is never dropped silently in the
 * middle of a stream, so the server's offsets stay those of the call.
 */
import type { AsrEvent } from '../asr.js';

/** Audio a connection may hold unsent before the stream counts as failed (backpressure), ms. */
export const MAX_UNSENT_MS = 5000;

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
  #unsent: (() => number) | null = null;

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
      const unsent = this.#unsent?.() ?? 0;
      if (unsent > MAX_UNSENT_MS * this.#samplesPerMs * 2) {
        const ms = Math.round(unsent / 2 / this.#samplesPerMs);
        this.fail(`the server is not taking the audio: ${ms} ms of it unsent`);
        return;
      }
      this.#send(pcm);
      return;
    }
    if (this.#queuedBytes > 20 * this.#samplesPerMs * 1000) return;
    this.#queue.push(pcm);
    this.#queuedBytes += pcm.length;
  }

  /**
   * The engine is ready: flush the backlog and send directly from now on. `unsent`: bytes the
   * connection holds that it could not write yet (the WebSocket's `bufferedAmount`).
   */
  open(send: (pcm: Buffer) => void, unsent?: () => number): void {
    this.#send = send;
    this.#unsent = unsent ?? null;
    for (const pcm of this.#queue) send(pcm);
    this.#queue = [];
    this.#queuedBytes = 0;
  }

  /** Reports the engine's failure once, as a rejection covering the audio so far. */
  fail(detail: string): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.#send = null;
    this.#unsent = null;
    this.onEvent({
      type: 'rejected',
      reason: 'error',
      beginMs: 0,
      endMs: this.positionMs,
      detail,
      fatal: true,
    });
  }
}

export { within } from '../../clock/within.js';

/**
 * Two-channel call recording streamed to disk while the call runs: WAV, 8 kHz (16 kHz for a G.722
 * call, `sampleRate`), 16-bit, stereo —
 * left = the remote party (callee), right = what we sent (platform). One frame of each per media
 * clock tick, silence where nothing was heard or sent, so the channels stay sample-aligned and the
 * file's time 0 is {@link startedAt}.
 *
 * Writing: frames go into a 1-second buffer; full buffers are written asynchronously, one write in
 * flight at a time, in order (never one write per frame). A slow disk gets up to `maxPendingBuffers`
 * queued; beyond that frames are dropped and counted rather than growing memory without bound.
 *
 * Crash tolerance: the header is written first with 0xFFFFFFFF sizes (the usual "streaming, length
 * unknown" placeholder), re-patched with the true sizes after every buffer write and on close. A
 * process that dies mid-call leaves a file whose header is at most one buffer behind its data;
 * readers should tolerate a data size that is zero or runs past the end (readWav does).
 */
import { EventEmitter } from 'node:events';
import { type FileHandle, open } from 'node:fs/promises';
import type { Logger } from '../observability/logger.js';
import { FRAME_MS, SAMPLE_RATE } from './frame.js';
import { WAV_HEADER_BYTES, WAV_UNKNOWN_SIZE, wavHeader } from './wavWriter.js';

export interface CallRecorderOptions {
  path: string;
  /** 8000 (default) or 16000 (wideband calls: frames of 320 samples). */
  sampleRate?: 8000 | 16000;
  /** Bytes per write (default 1 s of 16-bit stereo: 32000 at 8 kHz). */
  bufferBytes?: number;
  /** Full buffers allowed to wait for the disk before frames are dropped (default 8). */
  maxPendingBuffers?: number;
  /**
   * Frames by which the first buffer is cut short, so recorders started in the same tick (a burst
   * of calls) do not all hit the disk in the same tick every second. Default: staggered from one
   * recorder to the next; 0 = first write after exactly one full buffer.
   */
  flushOffsetFrames?: number;
  logger?: Logger;
}

export interface RecordingInfo {
  path: string;
  /** Clock time (ms) of the first frame, undefined when none was written. */
  startedAt: number | undefined;
  durationMs: number;
  /** Bytes of sample data in the file. */
  dataBytes: number;
  droppedFrames: number;
}

export interface CallRecorderEvents {
  /** A write failed: recording stopped, the call goes on. */
  error: [Error];
}

let staggerCounter = 0;

const CHANNELS = 2;

export class CallRecorder extends EventEmitter<CallRecorderEvents> {
  readonly path: string;
  readonly sampleRate: 8000 | 16000;
  readonly #frameSamples: number;
  readonly #frameBytes: number;
  readonly #file: FileHandle;
  readonly #bufferBytes: number;
  readonly #maxPending: number;
  readonly #log: Logger | undefined;
  readonly #free: Buffer[] = [];
  readonly #pending: { buffer: Buffer; length: number }[] = [];
  #buffer: Buffer;
  #samples: Int16Array;
  #fill = 0; // bytes in #buffer
  #limit: number; // bytes at which #buffer is written out (shorter for the first buffer)
  #written = 0; // data bytes on disk
  #accepted = 0; // data bytes accepted (buffered or written)
  #dropped = 0;
  #startedAt: number | undefined;
  #draining: Promise<void> | undefined;
  #failed = false;
  #closing = false;
  #closed: Promise<RecordingInfo> | undefined;

  /** Creates (truncates) the file and writes the placeholder header. */
  static async open(options: CallRecorderOptions): Promise<CallRecorder> {
    const file = await open(options.path, 'w');
    try {
      const rate = options.sampleRate ?? SAMPLE_RATE;
      await file.write(wavHeader(rate, CHANNELS, WAV_UNKNOWN_SIZE), 0, WAV_HEADER_BYTES, 0);
    } catch (err) {
      await file.close();
      throw err;
    }
    return new CallRecorder(options, file);
  }

  private constructor(options: CallRecorderOptions, file: FileHandle) {
    super();
    this.path = options.path;
    this.sampleRate = options.sampleRate ?? SAMPLE_RATE;
    this.#frameSamples = (this.sampleRate * FRAME_MS) / 1000;
    const frameBytes = this.#frameSamples * CHANNELS * 2;
    this.#frameBytes = frameBytes;
    this.#file = file;
    const frames = Math.max(
      1,
      Math.floor((options.bufferBytes ?? this.sampleRate * CHANNELS * 2) / frameBytes),
    );
    this.#bufferBytes = frames * frameBytes;
    const offset = options.flushOffsetFrames ?? (staggerCounter++ * 7) % frames;
    this.#limit = this.#bufferBytes - (offset % frames) * frameBytes;
    this.#maxPending = options.maxPendingBuffers ?? 8;
    this.#log = options.logger;
    this.#buffer = Buffer.allocUnsafeSlow(this.#bufferBytes);
    this.#samples = new Int16Array(this.#buffer.buffer, this.#buffer.byteOffset, this.#bufferBytes / 2);
  }

  /** Clock time of the first frame (file time 0). */
  get startedAt(): number | undefined {
    return this.#startedAt;
  }
  get droppedFrames(): number {
    return this.#dropped;
  }
  get durationMs(): number {
    return (this.#accepted / this.#frameBytes) * FRAME_MS;
  }

  /**
   * Appends one tick: `remote` (left) and `local` (right), 20 ms each (160 samples, 320 at 16 kHz);
   * null = silence.
   * `time` is the tick's clock time (the first frame's becomes {@link startedAt}).
   */
  writeFrame(remote: Int16Array | null, local: Int16Array | null, time: number): void {
    if (this.#closing || this.#failed) return;
    if (this.#startedAt === undefined) this.#startedAt = time;
    if (this.#fill === this.#limit && !this.#rotate()) {
      this.#dropped++;
      return;
    }
    const s = this.#samples;
    let at = this.#fill / 2;
    for (let i = 0; i < this.#frameSamples; i++) {
      s[at] = remote === null ? 0 : remote[i]!;
      s[at + 1] = local === null ? 0 : local[i]!;
      at += 2;
    }
    this.#fill += this.#frameBytes;
    this.#accepted += this.#frameBytes;
    if (this.#fill === this.#limit) this.#rotate();
  }

  /** Writes what is buffered, patches the header, closes the file. Idempotent. */
  close(): Promise<RecordingInfo> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<RecordingInfo> {
    this.#closing = true;
    if (this.#fill > 0 && !this.#failed) {
      this.#pending.push({ buffer: this.#buffer, length: this.#fill });
      this.#fill = 0;
      this.#drain();
    }
    await this.#draining;
    try {
      if (!this.#failed) await this.#patchHeader();
    } catch (err) {
      this.#fail(err as Error);
    }
    await this.#file.close();
    return {
      path: this.path,
      startedAt: this.#startedAt,
      durationMs: (this.#written / this.#frameBytes) * FRAME_MS,
      dataBytes: this.#written,
      droppedFrames: this.#dropped,
    };
  }

  /** Queues the full buffer for writing and takes a fresh one; false when too many are waiting. */
  #rotate(): boolean {
    if (this.#pending.length >= this.#maxPending) return false;
    this.#pending.push({ buffer: this.#buffer, length: this.#fill });
    this.#drain();
    const next = this.#free.pop() ?? Buffer.allocUnsafeSlow(this.#bufferBytes);
    this.#buffer = next;
    this.#samples = new Int16Array(next.buffer, next.byteOffset, this.#bufferBytes / 2);
    this.#fill = 0;
    this.#limit = this.#bufferBytes;
    return true;
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = this.#writeAll().finally(() => {
      this.#draining = undefined;
    });
  }

  async #writeAll(): Promise<void> {
    while (this.#pending.length > 0 && !this.#failed) {
      const { buffer, length } = this.#pending[0]!;
      try {
        await this.#file.write(buffer, 0, length, WAV_HEADER_BYTES + this.#written);
        this.#written += length;
        // Keep the header close to the data so an abrupt death leaves a consistent file.
        await this.#patchHeader();
      } catch (err) {
        this.#fail(err as Error);
        return;
      }
      this.#pending.shift();
      if (this.#free.length < 2) this.#free.push(buffer);
    }
  }

  #patchHeader(): Promise<unknown> {
    return this.#file.write(wavHeader(this.sampleRate, CHANNELS, this.#written), 0, WAV_HEADER_BYTES, 0);
  }

  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#pending.length = 0;
    this.#log?.error({ err, path: this.path }, 'call recording write failed; recording stopped');
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

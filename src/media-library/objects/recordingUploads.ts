/**
 * Uploads finished recordings to object storage and keeps the local copy until the upload is done
 * and reported: the local file IS the "still to upload" mark, so nothing is lost across a crash or
 * an outage. A call's recording is queued when the call ends; at start and every `rescanMs` the
 * recordings folder is looked through for files left behind (a crash, a failed upload). A failed
 * upload is logged with S3's cause and retried after 1 s, 5 s, 30 s, 2 min, then every 10 min.
 * One upload at a time: recordings are small next to a link, and it keeps the CPU for the calls.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../clock/clock.js';
import type { Logger } from '../../observability/logger.js';
import { callIdOfRecording, recordingKey } from './recordingObjects.js';
import type { S3Client } from './s3Client.js';

export const UPLOAD_RETRIES_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000, 600_000];

export interface RecordingUploadsOptions {
  client: S3Client;
  /** The local recordings folder (`<dir>/<yyyy-mm-dd>/<CallId>.wav`). */
  dir: string;
  prefix: string;
  clock: Clock;
  log: Logger;
  /** One PUT up to this size, a multipart upload above it. */
  multipartAboveBytes: number;
  partBytes: number;
  /** May this recording go now (its call is over)? Files of live calls wait for their end. */
  isFinal: (callId: string) => boolean;
  /** The object is stored: write what reports it (throws when that failed: the upload is retried). */
  stored: (callId: string, key: string) => void;
  retriesMs?: readonly number[];
  rescanMs?: number;
}

interface Pending {
  attempts: number;
  dueAt: number;
}

export class RecordingUploads {
  readonly #o: RecordingUploadsOptions;
  readonly #pending = new Map<string, Pending>();
  #timer: unknown;
  #rescanTimer: unknown;
  #running = false;
  #pumping: Promise<void> | undefined;
  /** Counters for metrics and tests. */
  readonly stats = { uploaded: 0, failed: 0, multipart: 0 };

  constructor(options: RecordingUploadsOptions) {
    this.#o = options;
  }

  /** Queues what is left in the folder, then keeps looking every `rescanMs`. */
  async start(): Promise<void> {
    this.#running = true;
    await this.rescan();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#o.clock.clearTimer(this.#timer);
    this.#o.clock.clearTimer(this.#rescanTimer);
    this.#timer = this.#rescanTimer = undefined;
    await this.#pumping;
  }

  /** A call's recording is complete: upload it now. */
  add(path: string): void {
    if (!this.#running || this.#pending.has(path)) return;
    this.#pending.set(path, { attempts: 0, dueAt: 0 });
    this.#pump();
  }

  /** How many recordings wait for their upload. */
  get waiting(): number {
    return this.#pending.size;
  }

  /** Resolves once no upload is in flight (tests). */
  async whenIdle(): Promise<void> {
    while (this.#pumping) await this.#pumping;
  }

  /** Looks through the folder for recordings of finished calls not yet uploaded. */
  async rescan(): Promise<void> {
    this.#o.clock.clearTimer(this.#rescanTimer);
    this.#rescanTimer = undefined;
    try {
      const days = (await readdir(this.#o.dir).catch(() => [] as string[])).filter((d) =>
        /^\d{4}-\d{2}-\d{2}$/.test(d),
      );
      for (const day of days) {
        for (const name of await readdir(join(this.#o.dir, day)).catch(() => [] as string[])) {
          const path = join(this.#o.dir, day, name);
          if (!name.endsWith('.wav') || this.#pending.has(path)) continue;
          if (this.#o.isFinal(callIdOfRecording(path))) this.add(path);
        }
      }
    } catch (err) {
      this.#o.log.error({ err }, 'recordings folder could not be looked through for uploads');
    }
    if (this.#running)
      this.#rescanTimer = this.#o.clock.setTimer(() => void this.rescan(), this.#o.rescanMs ?? 60_000);
  }

  #pump(): void {
    if (this.#pumping || !this.#running) return;
    this.#pumping = this.#drain().finally(() => {
      this.#pumping = undefined;
      this.#arm();
    });
  }

  #arm(): void {
    this.#o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    if (!this.#running || this.#pending.size === 0) return;
    const next = Math.min(...[...this.#pending.values()].map((p) => p.dueAt));
    this.#timer = this.#o.clock.setTimer(() => this.#pump(), Math.max(0, next - this.#o.clock.now()));
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (!this.#running) return;
      const now = this.#o.clock.now();
      const due = [...this.#pending].find(([, p]) => p.dueAt <= now);
      if (!due) return;
      await this.#upload(due[0], due[1]);
    }
  }

  async #upload(path: string, pending: Pending): Promise<void> {
    const o = this.#o;
    const callId = callIdOfRecording(path);
    const key = recordingKey(o.prefix, path);
    try {
      await stat(path);
    } catch {
      this.#pending.delete(path); // gone (retention, or someone else uploaded it)
      return;
    }
    try {
      const started = o.clock.now();
      const { parts, bytes } = await o.client.uploadFile(key, path, {
        contentType: 'audio/wav',
        multipartAboveBytes: o.multipartAboveBytes,
        partBytes: o.partBytes,
      });
      o.stored(callId, key);
      // Only now is the local copy expendable: the object and its report both exist.
      await rm(path, { force: true });
      this.#pending.delete(path);
      this.stats.uploaded++;
      if (parts > 1) this.stats.multipart++;
      o.log.info(
        { callId, key, bytes, parts, ms: Math.round(o.clock.now() - started) },
        'recording uploaded to object storage',
      );
    } catch (err) {
      const retries = o.retriesMs ?? UPLOAD_RETRIES_MS;
      const retryInMs = retries[Math.min(pending.attempts, retries.length - 1)]!;
      pending.attempts++;
      pending.dueAt = o.clock.now() + retryInMs;
      this.stats.failed++;
      o.log.error(
        { callId, key, err, attempts: pending.attempts, retryInMs },
        'recording upload failed: local copy kept, retrying',
      );
    }
  }
}

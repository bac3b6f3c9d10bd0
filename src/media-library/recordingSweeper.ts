/**
 * Retention of recordings: files older than the configured number of days are deleted, once at
 * start and then every hour. Recordings live in day folders (`<dir>/<yyyy-mm-dd>/`), so whole old
 * folders go at once and the sweep never reads a folder it keeps. Other records kept as long as the
 * recordings (calls' timeline events) are forgotten by the same sweep (`forgetBefore`), and with
 * recordings in object storage the bucket's old day prefixes go too (`sweepObjects`).
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../observability/logger.js';

export class RecordingSweeper {
  readonly #dir: string;
  readonly #retentionDays: number;
  readonly #time: Clock;
  readonly #log: Logger;
  #timer: unknown;
  #stopped = false;
  #sweeping: Promise<unknown> = Promise.resolve();
  readonly #forgetBefore: ((at: number) => number) | undefined;
  readonly #sweepObjects: ((cutoffDay: string) => Promise<unknown>) | undefined;

  constructor(options: {
    dir: string;
    retentionDays: number;
    time: Clock;
    log: Logger;
    /** Deletes other records older than `at` (epoch ms, a day boundary); returns how many. */
    forgetBefore?: (at: number) => number;
    /** Deletes recordings kept in object storage older than `cutoffDay` (`yyyy-mm-dd`). */
    sweepObjects?: (cutoffDay: string) => Promise<unknown>;
  }) {
    this.#sweepObjects = options.sweepObjects;
    this.#forgetBefore = options.forgetBefore;
    this.#dir = options.dir;
    this.#retentionDays = options.retentionDays;
    this.#time = options.time;
    this.#log = options.log;
  }

  start(): void {
    if (this.#retentionDays <= 0) return;
    this.#stopped = false;
    const run = () => {
      this.#timer = undefined;
      this.#sweeping = this.sweep().finally(() => {
        // A stop during the sweep must not be undone by arming the next one (it would hold the
        // process open for an hour after shutdown).
        if (!this.#stopped) this.#timer = this.#time.setTimer(run, 3_600_000);
      });
    };
    run();
  }

  /** Stops sweeping; resolves once a sweep in progress has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#time.clearTimer(this.#timer);
    this.#timer = undefined;
    await this.#sweeping.catch(() => {});
  }

  /** Deletes day folders older than the retention; returns their names. */
  async sweep(): Promise<string[]> {
    const cutoff = new Date(this.#time.now() - this.#retentionDays * 86_400_000).toISOString().slice(0, 10);
    if (this.#forgetBefore) {
      try {
        const n = this.#forgetBefore(Date.parse(`${cutoff}T00:00:00Z`));
        if (n) this.#log.info({ records: n, before: cutoff }, 'old call timeline events deleted');
      } catch (err) {
        this.#log.error({ err }, 'old call timeline events could not be deleted');
      }
    }
    if (this.#sweepObjects) {
      try {
        await this.#sweepObjects(cutoff);
      } catch (err) {
        this.#log.error({ err }, 'old recordings in object storage could not be deleted');
      }
    }
    let days: string[];
    try {
      days = await readdir(this.#dir);
    } catch {
      return [];
    }
    const old = days.filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && d < cutoff);
    for (const d of old) await rm(join(this.#dir, d), { recursive: true, force: true });
    if (old.length) this.#log.info({ days: old }, 'old recordings deleted');
    return old;
  }
}

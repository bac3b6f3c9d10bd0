/**
 * Recordings in S3-compatible object storage (issue 15): where each goes (its key), the presigned
 * links of VoiceRecordReport, and retention by day prefix.
 *
 * A recording is written to local disk during the call (`<dir>/<yyyy-mm-dd>/<CallId>.wav`) and is
 * uploaded after it (RecordingUploads); its key keeps the day folder and the file name under the
 * configured prefix, so the same day-by-day retention applies to both.
 */
import { basename, dirname } from 'node:path';
import type { Logger } from '../../observability/logger.js';
import type { CallRecord } from '../../store/records.js';
import type { S3Client } from './s3Client.js';
import { MAX_PRESIGN_SECONDS } from './sigV4.js';

/** `<prefix><yyyy-mm-dd>/<file>` of a local recording path. */
export function recordingKey(prefix: string, path: string): string {
  return `${prefix}${basename(dirname(path))}/${basename(path)}`;
}

/** The CallId a recording's file is named after (`^` is `_` in file names). */
export function callIdOfRecording(path: string): string {
  return basename(path, '.wav').replace('_', '^');
}

/** Serves as the call ledger's `RecordingLinks` when recordings go to object storage. */
export class ObjectRecordingLinks {
  readonly afterUpload = true;
  readonly #client: S3Client;
  readonly #prefix: string;
  readonly #validSeconds: number;

  constructor(options: { client: S3Client; prefix: string; validDays: number }) {
    this.#client = options.client;
    this.#prefix = options.prefix;
    this.#validSeconds = options.validDays * 86_400;
    if (this.#validSeconds > MAX_PRESIGN_SECONDS)
      throw new RangeError('recording URLs in object storage are valid 7 days at most (S3 presigned URLs)');
  }

  urlFor(call: CallRecord): string {
    if (!call.recordPath) throw new Error(`call ${call.callId} has no recording`);
    return this.#client.presignGet(recordingKey(this.#prefix, call.recordPath), this.#validSeconds);
  }
}

/**
 * Deletes the day prefixes (`<prefix><yyyy-mm-dd>/`) older than `cutoffDay`, object by object;
 * returns the days removed. Errors are the caller's to log (the next sweep tries again).
 */
export async function sweepRecordingObjects(
  client: S3Client,
  prefix: string,
  cutoffDay: string,
  log: Logger,
): Promise<string[]> {
  const days: string[] = [];
  let after: string | undefined;
  do {
    const page = await client.listObjects(prefix, { delimiter: '/', ...(after && { after }) });
    for (const p of page.prefixes) {
      const day = p.slice(prefix.length).replace(/\/$/, '');
      if (/^\d{4}-\d{2}-\d{2}$/.test(day) && day < cutoffDay) days.push(day);
    }
    after = page.next;
  } while (after);
  for (const day of days) {
    let next: string | undefined;
    do {
      const page = await client.listObjects(`${prefix}${day}/`, { ...(next && { after: next }) });
      for (const key of page.keys) await client.deleteObject(key);
      next = page.next;
    } while (next);
  }
  if (days.length) log.info({ days, bucket: client.bucket }, 'old recordings deleted from object storage');
  return days;
}

/**
 * Expiring signed URLs for call recordings (VoiceRecordReport.record_file, spec §5.4: valid 7 days).
 * The URL names the call and an expiry; the signature is an HMAC over both with a key of this
 * installation, so a link cannot be forged, extended or pointed at another call.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../clock/clock.js';
import type { CallRecord } from '../store/records.js';

/** Serves as the call ledger's `RecordingLinks` (matched by shape: media-library sits below calls/). */
export class RecordingLinkSigner {
  readonly #key: Buffer;
  readonly #validMs: number;
  readonly #baseUrl: () => string;
  readonly #now: () => number;

  constructor(options: { key: Buffer; validDays: number; baseUrl: () => string; now?: () => number }) {
    this.#key = options.key;
    this.#validMs = options.validDays * 86_400_000;
    this.#baseUrl = options.baseUrl;
    this.#now = options.now ?? (() => systemClock.now());
  }

  /** The key file `<dataDir>/recording-links.key`, made on first use. */
  static keyFrom(dataDir: string): Buffer {
    const file = join(dataDir, 'recording-links.key');
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      try {
        writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  }

  #sign(callId: string, expires: number): string {
    return createHmac('sha256', this.#key).update(`${callId}\n${expires}`).digest('hex');
  }

  urlFor(call: CallRecord): string {
    const expires = Math.floor((this.#now() + this.#validMs) / 1000);
    const name = encodeURIComponent(`${call.callId}.wav`);
    return `${this.#baseUrl().replace(/\/$/, '')}/recordings/${name}?Expires=${expires}&Signature=${this.#sign(call.callId, expires)}`;
  }

  /** 'ok', or why the link is refused. */
  check(
    callId: string,
    expires: string | undefined,
    signature: string | undefined,
  ): 'ok' | 'expired' | 'forbidden' {
    if (!expires || !signature || !/^\d{1,12}$/.test(expires)) return 'forbidden';
    const expected = Buffer.from(this.#sign(callId, Number(expires)));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'forbidden';
    return Number(expires) * 1000 < this.#now() ? 'expired' : 'ok';
  }
}

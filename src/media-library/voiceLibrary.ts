/**
 * Uploaded voice files ("smart interaction" files of the console): any common WAV is transcoded to
 * the telephone format (8 kHz, mono, 16-bit) once, at upload, so playing it costs nothing but a
 * read. Files live in `<dataDir>/voices/<accountId>/<voice id>`; the ID has Alibaba's shape,
 * e.g. `2d4c-4e78-8d2a-afbb06cf0001.wav`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { resample } from '../media/resampler.js';
import { readWav, WavFormatError } from '../media/wavReader.js';
import { encodeWav } from '../media/wavWriter.js';
import type { VoiceFileRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';

export const TELEPHONE_RATE = 8000;
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
export const MAX_VOICE_MS = 10 * 60_000;

export class VoiceUploadError extends Error {
  override name = 'VoiceUploadError';
}

export function newVoiceId(): string {
  const h = randomBytes(12).toString('hex');
  return `${h.slice(0, 4)}-${h.slice(4, 8)}-${h.slice(8, 12)}-${h.slice(12, 24)}.wav`;
}

export class VoiceLibrary {
  readonly #store: Store;
  readonly #root: string;
  readonly #now: () => number;

  constructor(store: Store, dataDir: string, now: () => number = Date.now) {
    this.#store = store;
    this.#root = join(dataDir, 'voices');
    this.#now = now;
  }

  /** Transcodes and stores a WAV file for the account; the record is written after the file. */
  async upload(accountId: number, sourcePath: string, name = basename(sourcePath)): Promise<VoiceFileRecord> {
    let size: number;
    try {
      size = (await stat(sourcePath)).size;
    } catch (err) {
      throw new VoiceUploadError(
        `cannot read ${sourcePath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    if (size > MAX_UPLOAD_BYTES)
      throw new VoiceUploadError(`${sourcePath} is larger than ${MAX_UPLOAD_BYTES} bytes`);
    let audio: ReturnType<typeof readWav>;
    try {
      audio = readWav(await readFile(sourcePath));
    } catch (err) {
      if (err instanceof WavFormatError) throw new VoiceUploadError(`${sourcePath}: ${err.message}`);
      throw err;
    }
    if (audio.samples.length === 0) throw new VoiceUploadError(`${sourcePath} holds no audio`);
    if (audio.durationMs > MAX_VOICE_MS)
      throw new VoiceUploadError(`${sourcePath} is longer than 10 minutes`);
    const samples =
      audio.sampleRate === TELEPHONE_RATE
        ? audio.samples
        : resample(audio.samples, audio.sampleRate, TELEPHONE_RATE);
    const id = newVoiceId();
    const dir = join(this.#root, String(accountId));
    await mkdir(dir, { recursive: true });
    const path = join(dir, id);
    // Write then rename: a crash never leaves a half file under a name the database points at.
    await writeFile(path + '.tmp', encodeWav([samples], TELEPHONE_RATE));
    await rename(path + '.tmp', path);
    const record: VoiceFileRecord = {
      id,
      accountId,
      name,
      path,
      durationMs: Math.round((samples.length * 1000) / TELEPHONE_RATE),
      createdAt: this.#now(),
    };
    this.#store.voiceFiles.insert(record);
    return record;
  }

  find(accountId: number, id: string): VoiceFileRecord | undefined {
    return this.#store.voiceFiles.find(accountId, id);
  }

  list(accountId: number): VoiceFileRecord[] {
    return this.#store.voiceFiles.listByAccount(accountId);
  }
}

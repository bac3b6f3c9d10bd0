/**
 * Uploaded voice files ("smart interaction" files of the console): any common WAV is transcoded to
 * the telephone format (8 kHz, mono, 16-bit) once, at upload, so playing it costs nothing but a
 * read. Files live in `<dataDir>/voices/<accountId>/<voice id>`; the ID has Alibaba's shape,
 * e.g. `2d4c-4e78-8d2a-afbb06cf0001.wav`, and is either issued here or brought along (`id`), in
 * which case it must be new to the installation: IDs are unique, as at Alibaba.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { wholeMs } from '../clock/clock.js';
import { resample } from '../media/resampler.js';
import { readWav, WavFormatError } from '../media/wavReader.js';
import { encodeWav } from '../media/wavWriter.js';
import type { VoiceFileRecord } from '../store/records.js';
import type { Store } from '../store/repositories.js';
import { isVoiceId, VOICE_ID_RULE } from './mediaIds.js';

export const TELEPHONE_RATE = 8000;
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
export const MAX_VOICE_MS = 10 * 60_000;

export class VoiceUploadError extends Error {
  override name = 'VoiceUploadError';
}

/** One file of a bulk import, with the problems found while reading the manifest or folder. */
export interface VoiceImportEntry {
  /** How problems name the entry: `entry 3 (…)` of a manifest, or a folder's file name. */
  label: string;
  /** Empty when the manifest gave none (a problem says so). */
  id: string;
  /** The WAV to read; empty when the manifest gave none. */
  file: string;
  name?: string;
  problems: string[];
}

export interface VoiceImportProblem {
  entry: string;
  problem: string;
}

/** An import refused as a whole: every problem of every entry, and nothing was stored. */
export class VoiceImportError extends VoiceUploadError {
  override name = 'VoiceImportError';
  readonly problems: readonly VoiceImportProblem[];
  constructor(problems: VoiceImportProblem[]) {
    super(
      `import refused, nothing was stored: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` +
        problems.map((p) => `  ${p.entry}: ${p.problem}`).join('\n'),
    );
    this.problems = problems;
  }
}

/** A transcoded file waiting under a temporary name until the whole upload or import is good. */
interface Staged {
  id: string;
  name: string;
  tmp: string;
  samples: number;
}

export function newVoiceId(): string {
  const h = randomBytes(12).toString('hex');
  return `${h.slice(0, 4)}-${h.slice(4, 8)}-${h.slice(8, 12)}-${h.slice(12, 24)}.wav`;
}

export class VoiceLibrary {
  readonly #store: Store;
  readonly #root: string;
  readonly #now: () => number;

  constructor(store: Store, dataDir: string, now: () => number = () => wholeMs()) {
    this.#store = store;
    this.#root = join(dataDir, 'voices');
    this.#now = now;
  }

  /**
   * Transcodes and stores a WAV file for the account, under `options.id` when given (refused if
   * malformed or taken: nothing is changed) or a new ID. The record is written after the file.
   */
  async upload(
    accountId: number,
    sourcePath: string,
    options: { id?: string; name?: string } = {},
  ): Promise<VoiceFileRecord> {
    const id = options.id ?? newVoiceId();
    if (options.id !== undefined) {
      const problem = this.#idProblem(id);
      if (problem) throw new VoiceUploadError(`${problem}; nothing was changed`);
    }
    const staged = await this.#stage(accountId, id, options.name ?? basename(sourcePath), sourcePath);
    return (await this.#commit(accountId, [staged]))[0]!;
  }

  /**
   * Stores every entry or none: each is checked (ID well-formed, unique in the import and new to
   * the installation; file readable, a WAV, not empty, not too long) before anything is kept, and
   * a refusal lists every problem with its entry.
   */
  async import(accountId: number, entries: readonly VoiceImportEntry[]): Promise<VoiceFileRecord[]> {
    const problems: VoiceImportProblem[] = [];
    const staged: Staged[] = [];
    const firstUse = new Map<string, string>();
    try {
      if (entries.length === 0)
        throw new VoiceImportError([{ entry: 'import', problem: 'no voice files in it' }]);
      for (const entry of entries) {
        const mine: string[] = [...entry.problems];
        if (entry.id) {
          const earlier = firstUse.get(entry.id);
          if (earlier) mine.push(`ID ${entry.id} is also given to ${earlier}`);
          else {
            firstUse.set(entry.id, entry.label);
            const problem = this.#idProblem(entry.id);
            if (problem) mine.push(problem);
          }
        }
        if (entry.file) {
          try {
            const name = entry.name ?? basename(entry.file);
            // Checked even when the ID is bad, so one refusal names every problem.
            staged.push(await this.#stage(accountId, entry.id, name, entry.file));
          } catch (err) {
            if (!(err instanceof VoiceUploadError)) throw err;
            mine.push(err.message);
          }
        }
        for (const problem of mine) problems.push({ entry: entry.label, problem });
      }
      if (problems.length > 0) throw new VoiceImportError(problems);
    } catch (err) {
      await Promise.all(staged.map((s) => unlink(s.tmp).catch(() => {})));
      throw err;
    }
    return this.#commit(accountId, staged);
  }

  find(accountId: number, id: string): VoiceFileRecord | undefined {
    return this.#store.voiceFiles.find(accountId, id);
  }

  list(accountId: number): VoiceFileRecord[] {
    return this.#store.voiceFiles.listByAccount(accountId);
  }

  #idProblem(id: string): string | undefined {
    if (!isVoiceId(id)) return `"${id}" is not a valid voice ID: ${VOICE_ID_RULE}`;
    const owners = this.#store.voiceFiles.findEverywhere(id);
    if (owners.length > 0) return `voice ID ${id} is already taken`;
    return undefined;
  }

  /** Reads, checks and transcodes one file into a temporary file beside its final place. */
  async #stage(accountId: number, id: string, name: string, sourcePath: string): Promise<Staged> {
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
      if ((err as NodeJS.ErrnoException).code)
        throw new VoiceUploadError(`cannot read ${sourcePath}: ${(err as NodeJS.ErrnoException).code}`);
      throw err;
    }
    if (audio.samples.length === 0) throw new VoiceUploadError(`${sourcePath} holds no audio`);
    if (audio.durationMs > MAX_VOICE_MS)
      throw new VoiceUploadError(`${sourcePath} is longer than 10 minutes`);
    const samples =
      audio.sampleRate === TELEPHONE_RATE
        ? audio.samples
        : resample(audio.samples, audio.sampleRate, TELEPHONE_RATE);
    const dir = join(this.#root, String(accountId));
    await mkdir(dir, { recursive: true });
    // Not named after the ID, which may not have been checked yet.
    const tmp = join(dir, `.staged-${randomBytes(8).toString('hex')}.tmp`);
    await writeFile(tmp, encodeWav([samples], TELEPHONE_RATE));
    return { id, name, tmp, samples: samples.length };
  }

  /**
   * Renames the staged files into place, then writes all records in one transaction (re-checking
   * the IDs there); if that fails, the files are removed again: a crash never leaves a half file
   * under a name the database points at, nor a record without its file.
   */
  async #commit(accountId: number, staged: readonly Staged[]): Promise<VoiceFileRecord[]> {
    const dir = join(this.#root, String(accountId));
    const now = this.#now();
    const records = staged.map(
      (s): VoiceFileRecord => ({
        id: s.id,
        accountId,
        name: s.name,
        path: join(dir, s.id),
        durationMs: Math.round((s.samples * 1000) / TELEPHONE_RATE),
        createdAt: now,
      }),
    );
    const placed: string[] = [];
    try {
      for (const [i, s] of staged.entries()) {
        await rename(s.tmp, records[i]!.path);
        placed.push(records[i]!.path);
      }
      this.#store.transaction(() => {
        for (const r of records) {
          if (this.#store.voiceFiles.findEverywhere(r.id).length > 0)
            throw new VoiceUploadError(`voice ID ${r.id} is already taken; nothing was changed`);
          this.#store.voiceFiles.insert(r);
        }
      });
    } catch (err) {
      await Promise.all(
        [...placed, ...staged.slice(placed.length).map((s) => s.tmp)].map((p) => unlink(p).catch(() => {})),
      );
      throw err;
    }
    return records;
  }
}

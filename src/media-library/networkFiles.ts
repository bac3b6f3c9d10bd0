/**
 * Network audio files named by URL in VoiceCode / action_code (spec §3.1 #3): WAV or MP3 over
 * HTTP(S), by host name or address. Fetched through GuardedFetch (the address connected to must be
 * public unless `media.urlAllowlist` allows it; certificates checked; at most 3 redirects), decoded
 * to 8 kHz mono and cached on disk with the server's validators (ETag / Last-Modified): a cached
 * copy older than `freshMs` is revalidated with a conditional GET, and a 304 keeps it. When the
 * server cannot be reached the cached copy is played; a refusal by the policy is never overridden.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, systemClock } from '../clock/clock.js';
import { readWav } from '../media/wavReader.js';
import { encodeWav } from '../media/wavWriter.js';
import { DnsResolver } from '../net/dnsResolver.js';
import { AddressPolicy } from './addressPolicy.js';
import { decodeTelephony } from './audioDecode.js';
import { type FetchedFile, GuardedFetch } from './guardedFetch.js';
import { loadMp3Decoder, type Mp3Decode } from './mp3Decoder.js';
import { NetworkFileError } from './networkFileError.js';

export { isPrivateAddress } from './addressPolicy.js';
export { NetworkFileError } from './networkFileError.js';

export interface NetworkFileOptions {
  cacheDir: string;
  maxBytes: number;
  timeoutMs: number;
  /** Allow every address (`media.allowPrivateUrls`: tests, or a fully trusted network). */
  allowPrivate?: boolean;
  /** Host names (`*.` for subdomains) and CIDRs that may be private (`media.urlAllowlist`). */
  allowlist?: readonly string[];
  /** Name → addresses (net/DnsResolver); default: the system resolver. */
  resolve?: (host: string) => Promise<string[]>;
  /** Extra trusted CA certificates, PEM (`media.caFile`). */
  ca?: string;
  /** How long a cached file is played without asking the server again. */
  freshMs?: number;
  clock?: Clock;
  mp3?: () => Promise<Mp3Decode>;
}

let system: DnsResolver | undefined;
function systemResolve(host: string): Promise<string[]> {
  system ??= new DnsResolver();
  return system.resolve(host);
}

interface CacheMeta {
  url: string;
  etag?: string;
  lastModified?: string;
  checkedAt: number;
}

export class NetworkFiles {
  readonly #o: NetworkFileOptions;
  readonly #fetch: GuardedFetch;
  readonly #clock: Clock;
  readonly #inFlight = new Map<string, Promise<Int16Array>>();

  constructor(options: NetworkFileOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#fetch = new GuardedFetch({
      resolve: options.resolve ?? systemResolve,
      policy: new AddressPolicy({
        allowlist: options.allowlist ?? [],
        allowAll: options.allowPrivate ?? false,
      }),
      ...(options.ca !== undefined && { ca: options.ca }),
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      clock: this.#clock,
    });
  }

  /** The file's audio at 8 kHz; fetched on first use, then from the cache. Rejects with NetworkFileError. */
  load(url: string): Promise<Int16Array> {
    let p = this.#inFlight.get(url);
    if (!p) {
      p = this.#load(url).finally(() => this.#inFlight.delete(url));
      this.#inFlight.set(url, p);
    }
    return p;
  }

  async #load(url: string): Promise<Int16Array> {
    const key = createHash('sha256').update(url).digest('hex').slice(0, 32);
    const wavPath = join(this.#o.cacheDir, `${key}.wav`);
    const metaPath = join(this.#o.cacheDir, `${key}.json`);
    const cached = await readCached(wavPath, metaPath, url);
    const now = this.#clock.now();
    if (cached && now - cached.meta.checkedAt < (this.#o.freshMs ?? 60_000)) return cached.samples;

    const conditional: Record<string, string> = {};
    if (cached?.meta.etag) conditional['if-none-match'] = cached.meta.etag;
    if (cached?.meta.lastModified) conditional['if-modified-since'] = cached.meta.lastModified;
    let res: FetchedFile;
    try {
      res = await this.#fetch.get(url, conditional);
    } catch (err) {
      // Unreachable: the copy we have is better than silence. Refused: never.
      if (cached && err instanceof NetworkFileError && err.code !== 'REFUSED' && err.code !== 'BAD_URL')
        return cached.samples;
      throw err;
    }
    if (res.status === 304 && cached) {
      await this.#writeMeta(metaPath, { ...cached.meta, checkedAt: now });
      return cached.samples;
    }
    if (res.status !== 200) throw new NetworkFileError('HTTP', `${url}: HTTP ${res.status}`);
    let samples: Int16Array;
    try {
      samples = await decodeTelephony(
        res.body,
        this.#o.mp3 ?? loadMp3Decoder,
        String(res.headers['content-type'] ?? ''),
        res.url,
      );
    } catch (err) {
      throw new NetworkFileError('DECODE', `${url}: ${(err as Error).message}`);
    }
    if (samples.length === 0) throw new NetworkFileError('DECODE', `${url}: no audio in the file`);
    await mkdir(this.#o.cacheDir, { recursive: true });
    await writeFile(`${wavPath}.tmp`, encodeWav([samples], 8000));
    await rename(`${wavPath}.tmp`, wavPath);
    const etag = res.headers.etag;
    const lastModified = res.headers['last-modified'];
    await this.#writeMeta(metaPath, {
      url,
      ...(etag && { etag }),
      ...(lastModified && { lastModified }),
      checkedAt: now,
    });
    return samples;
  }

  async #writeMeta(path: string, meta: CacheMeta): Promise<void> {
    await writeFile(`${path}.tmp`, JSON.stringify(meta));
    await rename(`${path}.tmp`, path);
  }
}

async function readCached(
  wavPath: string,
  metaPath: string,
  url: string,
): Promise<{ samples: Int16Array; meta: CacheMeta } | undefined> {
  try {
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as CacheMeta;
    if (meta.url !== url || typeof meta.checkedAt !== 'number') return undefined;
    return { samples: readWav(await readFile(wavPath)).samples, meta };
  } catch {
    return undefined; // not cached (or a cache from before validators were kept): fetch
  }
}

/**
 * Network audio files named by URL in VoiceCode / action_code (spec §3.1 #3). Fetched once, cached
 * on disk, size- and time-limited, and refused when the URL points at a private or loopback
 * address (a callback reply must not make the platform probe its own network) unless the operator
 * allows it. Host names are resolved here only when the operator enables it; by default a URL must
 * carry an IP literal or be allowed by the operator, because smartcall never resolves names in tests.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import { resample } from '../media/resampler.js';
import { readWav } from '../media/wavReader.js';
import { encodeWav } from '../media/wavWriter.js';

export interface NetworkFileOptions {
  cacheDir: string;
  maxBytes: number;
  timeoutMs: number;
  /** Allow private, loopback and link-local addresses (tests, or a trusted internal CDN). */
  allowPrivate: boolean;
}

export class NetworkFileError extends Error {
  override name = 'NetworkFileError';
}

const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::1', 128],
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 0) return false;
  if (v === 6 && ip.toLowerCase().startsWith('::ffff:')) return PRIVATE.check(ip.slice(7), 'ipv4');
  return PRIVATE.check(ip, v === 4 ? 'ipv4' : 'ipv6');
}

export class NetworkFiles {
  readonly #o: NetworkFileOptions;
  readonly #inFlight = new Map<string, Promise<Int16Array>>();

  constructor(options: NetworkFileOptions) {
    this.#o = options;
  }

  /** The file's audio at 8 kHz; fetched on first use, then read from the cache. */
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
    const cached = join(this.#o.cacheDir, `${key}.wav`);
    try {
      return readWav(await readFile(cached)).samples;
    } catch {
      // not cached yet
    }
    const bytes = await this.#fetch(url);
    let audio: ReturnType<typeof readWav>;
    try {
      audio = readWav(bytes);
    } catch (err) {
      throw new NetworkFileError(`${url}: ${(err as Error).message}`);
    }
    const samples =
      audio.sampleRate === 8000 ? audio.samples : resample(audio.samples, audio.sampleRate, 8000);
    await mkdir(this.#o.cacheDir, { recursive: true });
    await writeFile(cached + '.tmp', encodeWav([samples], 8000));
    await rename(cached + '.tmp', cached);
    return samples;
  }

  async #fetch(url: string): Promise<Buffer> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new NetworkFileError(`not a URL: ${url}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new NetworkFileError(`${url}: only http(s)`);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) === 0 && !this.#o.allowPrivate) {
      // Resolving the name here and connecting by address would be needed to pin the checked IP;
      // until then names are only fetched when the operator trusts the network (allowPrivate).
      throw new NetworkFileError(
        `${url}: host names are not fetched (use an IP address or allow private networks)`,
      );
    }
    if (isIP(host) !== 0 && isPrivateAddress(host) && !this.#o.allowPrivate) {
      throw new NetworkFileError(`${url}: private and loopback addresses are refused`);
    }
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.#o.timeoutMs), redirect: 'error' });
    } catch (err) {
      throw new NetworkFileError(`${url}: ${(err as Error).message}`);
    }
    if (!res.ok || !res.body) throw new NetworkFileError(`${url}: HTTP ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > this.#o.maxBytes)
      throw new NetworkFileError(`${url}: larger than ${this.#o.maxBytes} bytes`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > this.#o.maxBytes) {
        await reader.cancel();
        throw new NetworkFileError(`${url}: larger than ${this.#o.maxBytes} bytes`);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks);
  }
}

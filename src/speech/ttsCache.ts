/**
 * Synthesised prompts kept for reuse, keyed by everything that changes the audio (text, voice,
 * volume, speed). Bounded by bytes, not entries: one long prompt can weigh as much as a hundred
 * short ones. Least recently used goes first.
 */
export class TtsCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Int16Array[]>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(maxBytes = 32 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  static key(text: string, voice: string, volume: number, speed: number): string {
    return JSON.stringify([text, voice, volume, speed]);
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): Int16Array[] | undefined {
    const chunks = this.#entries.get(key);
    if (!chunks) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#entries.delete(key);
    this.#entries.set(key, chunks);
    return chunks;
  }

  set(key: string, chunks: Int16Array[]): void {
    const size = chunks.reduce((n, c) => n + c.byteLength, 0);
    if (size > this.#maxBytes) return;
    const old = this.#entries.get(key);
    if (old) {
      this.#entries.delete(key);
      this.#bytes -= old.reduce((n, c) => n + c.byteLength, 0);
    }
    this.#entries.set(key, chunks);
    this.#bytes += size;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= v.reduce((n, c) => n + c.byteLength, 0);
    }
  }
}

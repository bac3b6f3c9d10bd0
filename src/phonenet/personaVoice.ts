/**
 * How personas speak. The carrier needs only this narrow seam, so it works with the speech layer's
 * TTS (see speechVoice.ts), with the deterministic synthetic voice of tests, or with anything else.
 */
export interface PersonaVoice {
  /** `text` spoken by `voice` (a SmartCall voice name): 8 kHz mono 16-bit PCM. */
  synthesize(text: string, voice: string): Promise<Int16Array>;
}

/**
 * Personas say the same few phrases on every call: each (voice, text) is synthesized once and kept,
 * least recently used dropped first. Concurrent requests for one phrase share one synthesis; a
 * failure is not cached.
 */
export class CachedVoice implements PersonaVoice {
  readonly #inner: PersonaVoice;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Promise<Int16Array>>();

  constructor(inner: PersonaVoice, options: { maxEntries?: number } = {}) {
    this.#inner = inner;
    this.#maxEntries = options.maxEntries ?? 256;
  }

  get size(): number {
    return this.#entries.size;
  }

  synthesize(text: string, voice: string): Promise<Int16Array> {
    const key = `${voice}\u0000${text}`;
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const pending = this.#inner.synthesize(text, voice);
    this.#entries.set(key, pending);
    pending.catch(() => {
      if (this.#entries.get(key) === pending) this.#entries.delete(key);
    });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return pending;
  }
}

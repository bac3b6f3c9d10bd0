/**
 * A small time-bounded cache for lookups on the API hot path. Admin changes are made by another
 * process (the CLI) straight in the database, so entries must expire: a change takes effect within
 * `ttlMs`. The map is cleared when it grows past `maxEntries`, so unknown keys cannot grow memory.
 */
export class TtlCache<K, V> {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<K, { value: V; expires: number }>();

  constructor(ttlMs: number, maxEntries = 10_000) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
  }

  get(key: K, load: (key: K) => V, now: number): V {
    const hit = this.#entries.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = load(key);
    if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
    this.#entries.set(key, { value, expires: now + this.#ttlMs });
    return value;
  }

  /** Forgets `key` (a load that failed must not be served until it expires). */
  delete(key: K): void {
    this.#entries.delete(key);
  }
}

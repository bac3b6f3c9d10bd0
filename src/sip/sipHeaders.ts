import { canonicalName, headerKey, isListHeader } from './headerNames.js';
import { splitTopLevel } from './syntax.js';

interface HeaderEntry {
  /** Spelling used when serializing. */
  name: string;
  /** One entry per header line (a line may hold a comma-separated list). */
  values: string[];
}

/**
 * The header fields of one message, keyed case-insensitively with compact forms expanded.
 * Values are kept as strings; typed views are parsed on demand and cached per header until that
 * header changes, so a received message is parsed at most once per header that is read.
 */
export class SipHeaders {
  readonly #map = new Map<string, HeaderEntry>();
  readonly #cache = new Map<string, unknown>();

  has(name: string): boolean {
    return this.#map.has(headerKey(name));
  }

  /** The first header line's value. */
  get(name: string): string | undefined {
    return this.#map.get(headerKey(name))?.values[0];
  }

  /** Every header line's value, in order. */
  getAll(name: string): readonly string[] {
    return this.#map.get(headerKey(name))?.values ?? [];
  }

  /** Number of header lines with this name. */
  count(name: string): number {
    return this.#map.get(headerKey(name))?.values.length ?? 0;
  }

  /**
   * Every element of a list header across all its lines (§7.3.1 makes `A: x, y` equal to two lines).
   * Undefined when a quote or angle bracket is unbalanced. Non-list headers are not split.
   */
  getList(name: string): string[] | undefined {
    const key = headerKey(name);
    const entry = this.#map.get(key);
    if (!entry) return [];
    if (!isListHeader(key)) return entry.values.slice();
    const out: string[] = [];
    for (const v of entry.values) {
      const parts = splitTopLevel(v);
      if (!parts) return undefined;
      for (const p of parts) out.push(p);
    }
    return out;
  }

  set(name: string, value: string | readonly string[]): this {
    const key = headerKey(name);
    this.#cache.delete(key);
    const values = typeof value === 'string' ? [value] : value.slice();
    if (values.length === 0) {
      this.#map.delete(key);
      return this;
    }
    const existing = this.#map.get(key);
    if (existing) existing.values = values;
    else this.#map.set(key, { name: canonicalName(key, name), values });
    return this;
  }

  append(name: string, value: string): this {
    const key = headerKey(name);
    this.#cache.delete(key);
    const existing = this.#map.get(key);
    if (existing) existing.values.push(value);
    else this.#map.set(key, { name: canonicalName(key, name), values: [value] });
    return this;
  }

  prepend(name: string, value: string): this {
    const key = headerKey(name);
    this.#cache.delete(key);
    const existing = this.#map.get(key);
    if (existing) existing.values.unshift(value);
    else this.#map.set(key, { name: canonicalName(key, name), values: [value] });
    return this;
  }

  /** Removes the first line of a header (e.g. the top Via when a response goes upstream). */
  removeFirst(name: string): void {
    const key = headerKey(name);
    const entry = this.#map.get(key);
    if (!entry) return;
    this.#cache.delete(key);
    entry.values.shift();
    if (entry.values.length === 0) this.#map.delete(key);
  }

  delete(name: string): boolean {
    const key = headerKey(name);
    this.#cache.delete(key);
    return this.#map.delete(key);
  }

  /** Memoizes a typed view of one header (dropped when that header changes). */
  parsed<T>(name: string, parse: () => T): T {
    const key = headerKey(name);
    if (this.#cache.has(key)) return this.#cache.get(key) as T;
    const value = parse();
    this.#cache.set(key, value);
    return value;
  }

  /** [wire name, value] per header line, in insertion order of the names. */
  *lines(): IterableIterator<[string, string]> {
    for (const entry of this.#map.values()) {
      for (const v of entry.values) yield [entry.name, v];
    }
  }

  /** Lower-case keys present. */
  keys(): IterableIterator<string> {
    return this.#map.keys();
  }

  clone(): SipHeaders {
    const h = new SipHeaders();
    for (const [key, entry] of this.#map) h.#map.set(key, { name: entry.name, values: entry.values.slice() });
    return h;
  }
}

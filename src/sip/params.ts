import { isTokenChar, isWsp, scanQuoted, skipWsp, unquote } from './syntax.js';

/**
 * An ordered list of `;name[=value]` parameters (URI parameters, header parameters). Names compare
 * case-insensitively (§19.1.4, §7.3.1) but keep their spelling for serialization; values are kept
 * raw (a quoted value keeps its quotes) so that a message re-serializes as it was received.
 */
export class Params {
  readonly #items: Array<[name: string, value: string | null]> = [];

  get size(): number {
    return this.#items.length;
  }

  #index(name: string): number {
    const lower = name.toLowerCase();
    for (let i = 0; i < this.#items.length; i++) {
      if (this.#items[i]![0].toLowerCase() === lower) return i;
    }
    return -1;
  }

  has(name: string): boolean {
    return this.#index(name) >= 0;
  }

  /** The raw value; `null` for a parameter without value, `undefined` when absent. */
  get(name: string): string | null | undefined {
    const i = this.#index(name);
    return i < 0 ? undefined : this.#items[i]![1];
  }

  /** The value with surrounding quotes removed. */
  getUnquoted(name: string): string | null | undefined {
    const v = this.get(name);
    return typeof v === 'string' ? unquote(v) : v;
  }

  set(name: string, value: string | null = null): this {
    const i = this.#index(name);
    if (i >= 0) this.#items[i]![1] = value;
    else this.#items.push([name, value]);
    return this;
  }

  delete(name: string): boolean {
    const i = this.#index(name);
    if (i < 0) return false;
    this.#items.splice(i, 1);
    return true;
  }

  entries(): IterableIterator<[string, string | null]> {
    return this.#items.values();
  }

  clone(): Params {
    const p = new Params();
    for (const [n, v] of this.#items) p.set(n, v);
    return p;
  }

  toString(): string {
    let s = '';
    for (const [n, v] of this.#items) s += v === null ? ';' + n : ';' + n + '=' + v;
    return s;
  }
}

function isParamValueChar(code: number): boolean {
  // token plus what URI parameters allow (param-unreserved of §25.1: [ ] / : & + $, used by IPv6
  // received= and vendor parameters) and '@'; separators that end a value are excluded.
  return (
    isTokenChar(code) ||
    code === 0x3a ||
    code === 0x5b ||
    code === 0x5d ||
    code === 0x2f ||
    code === 0x40 ||
    code === 0x26 ||
    code === 0x24
  );
}

/**
 * Parses `*(SEMI name [EQUAL value])` starting at `i` until the end of `s`. LWS is allowed around
 * `;` and `=` (§25.1 SEMI/EQUAL). Returns undefined on an empty name, a bad value or trailing junk.
 */
export function parseParams(s: string, i: number, into = new Params()): Params | undefined {
  i = skipWsp(s, i);
  while (i < s.length) {
    if (s.charCodeAt(i) !== 0x3b) return undefined;
    i = skipWsp(s, i + 1);
    const nameStart = i;
    while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
    if (i === nameStart) return undefined;
    const name = s.slice(nameStart, i);
    i = skipWsp(s, i);
    let value: string | null = null;
    if (i < s.length && s.charCodeAt(i) === 0x3d) {
      i = skipWsp(s, i + 1);
      if (i < s.length && s.charCodeAt(i) === 0x22) {
        const end = scanQuoted(s, i);
        if (end < 0) return undefined;
        value = s.slice(i, end);
        i = end;
      } else {
        const valueStart = i;
        while (i < s.length && isParamValueChar(s.charCodeAt(i))) i++;
        if (i === valueStart) return undefined;
        value = s.slice(valueStart, i);
      }
      i = skipWsp(s, i);
    }
    into.set(name, value);
    if (i < s.length && !isWsp(s.charCodeAt(i)) && s.charCodeAt(i) !== 0x3b) return undefined;
  }
  return into;
}

/**
 * Caller-ID pools: the display number a callee sees, chosen from a pool by the callee's region (a
 * number of the same area code) or round robin, and kept for that callee afterwards (sticky), so a
 * person called twice sees the same number.
 */

/** Mainland area code of a landline (`010…`, `021…`, `0571…`); undefined for others. */
export function areaCode(number: string): string | undefined {
  if (!/^0\d{9,11}$/.test(number)) return undefined;
  return number[1] === '1' || number[1] === '2' ? number.slice(0, 3) : number.slice(0, 4);
}

/** A number's region: a landline's area code, else the longest prefix listed in `regions`. */
export function regionOf(number: string, regions: Readonly<Record<string, string>>): string | undefined {
  const area = areaCode(number);
  if (area) return area;
  for (let len = Math.min(number.length, 8); len >= 3; len--) {
    const r = regions[number.slice(0, len)];
    if (r) return r;
  }
  return undefined;
}

export interface PoolEntry {
  number: string;
  region: string | undefined;
}

/** `0571…` or `139…@0571` (a mobile display number tagged with its region). */
export function poolEntries(
  numbers: readonly string[],
  regions: Readonly<Record<string, string>>,
): PoolEntry[] {
  return numbers.map((n) => {
    const at = n.indexOf('@');
    if (at > 0) return { number: n.slice(0, at), region: n.slice(at + 1) };
    return { number: n, region: regionOf(n, regions) };
  });
}

export class CallerIdPools {
  readonly #sticky = new Map<string, string>();
  readonly #turns = new Map<string, number>();

  /** Remembers what a callee was shown before (rebuilt from recent calls at start). */
  remember(key: string, number: string): void {
    this.#sticky.set(key, number);
  }

  /**
   * The number for callee `callee` (sticky under `key`), and how it was chosen. `poolKey` names the
   * pool for its round-robin turn.
   */
  choose(
    key: string,
    callee: string,
    poolKey: string,
    entries: readonly PoolEntry[],
    strategy: 'region' | 'round-robin',
    regions: Readonly<Record<string, string>>,
  ): { number: string; how: string } {
    const before = this.#sticky.get(key);
    if (before !== undefined && entries.some((e) => e.number === before))
      return { number: before, how: 'sticky' };
    let candidates: readonly PoolEntry[] = entries;
    let how = 'round robin';
    if (strategy === 'region') {
      const region = regionOf(callee, regions);
      const local = region === undefined ? [] : entries.filter((e) => e.region === region);
      if (local.length > 0) {
        candidates = local;
        how = `region ${region}`;
      } else
        how =
          region === undefined
            ? 'round robin (callee region unknown)'
            : `round robin (no number in ${region})`;
    }
    const turnKey = `${poolKey}|${how}`;
    const turn = this.#turns.get(turnKey) ?? 0;
    this.#turns.set(turnKey, turn + 1);
    const number = candidates[turn % candidates.length]!.number;
    this.#sticky.set(key, number);
    return { number, how };
  }
}

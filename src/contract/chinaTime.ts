/**
 * Wire times of the spec: `yyyy-MM-dd HH:mm:ss` in China time (UTC+8, no daylight saving),
 * spec §10 Q21.
 */
const OFFSET_MS = 8 * 3600_000;

const two = (n: number) => (n < 10 ? '0' + n : String(n));

export function formatChinaTime(epochMs: number): string {
  const d = new Date(epochMs + OFFSET_MS);
  return (
    `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
  );
}

/** `formatChinaTime`, or the empty string for an event that did not happen. */
export function chinaTimeOrEmpty(epochMs: number | null | undefined): string {
  return epochMs == null ? '' : formatChinaTime(epochMs);
}

/** The China calendar day (`yyyy-MM-dd`) an instant falls on. */
export function chinaDay(epochMs: number): string {
  return formatChinaTime(epochMs).slice(0, 10);
}

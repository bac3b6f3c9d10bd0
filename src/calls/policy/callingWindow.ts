/**
 * Calling windows in the callee's time zone: a weekly schedule (`mon-fri 09:00-12:00,13:30-20:00;
 * sat 10:00-16:00`, or just `09:00-20:00` for every day) and holidays as local dates. The zone comes
 * from the number (mainland numbers: Asia/Shanghai; `+CC…`/`00CC…` by country code). Local time is
 * computed with Intl, its UTC offset cached per zone and quarter hour, so a decision costs a map
 * lookup and some arithmetic.
 */

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const DAY_MS = 86_400_000;
const QUARTER_MS = 900_000;

/** Minutes of the day, [start, end). */
export interface Segment {
  start: number;
  end: number;
}

/** Segments per weekday (0 = Sunday), sorted. */
export type WeekSchedule = readonly (readonly Segment[])[];

export class WindowError extends Error {}

function parseClock(text: string, what: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) throw new WindowError(`${what}: "${text}" is not HH:MM`);
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 24 || min > 59 || (h === 24 && min > 0))
    throw new WindowError(`${what}: "${text}" is not a time of day`);
  return h * 60 + min;
}

function parseDays(text: string): number[] {
  const days: number[] = [];
  for (const part of text.split(',')) {
    const range = part.trim().toLowerCase().split('-');
    const idx = range.map((d) => DAYS.indexOf(d.slice(0, 3) as (typeof DAYS)[number]));
    if (idx.some((i) => i < 0) || range.length > 2)
      throw new WindowError(`"${part}" is not a day or range of days (mon … sun)`);
    const [from, to = from] = idx as [number, number?];
    for (let d = from; ; d = (d + 1) % 7) {
      days.push(d);
      if (d === to) break;
    }
  }
  return days;
}

/**
 * `09:00-20:00` (every day), `mon-fri 09:00-20:00; sat,sun 10:00-16:00`, segments separated by
 * commas. Days left out have no window (no calls). Throws WindowError naming the problem.
 */
export function parseWindow(spec: string): WeekSchedule {
  const week: Segment[][] = [[], [], [], [], [], [], []];
  const groups = spec
    .split(';')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  if (groups.length === 0)
    throw new WindowError('the window is empty (e.g. 09:00-20:00 or mon-fri 09:00-20:00)');
  for (const group of groups) {
    const m = /^(?:([a-zA-Z,-]+)\s+)?(.+)$/.exec(group)!;
    const days = m[1] ? parseDays(m[1]) : [0, 1, 2, 3, 4, 5, 6];
    for (const seg of m[2]!.split(',')) {
      const [a, b, extra] = seg.split('-');
      if (a === undefined || b === undefined || extra !== undefined) {
        throw new WindowError(`"${seg.trim()}" is not a time range like 09:00-20:00`);
      }
      const start = parseClock(a, 'window start');
      const end = parseClock(b, 'window end');
      if (end <= start) throw new WindowError(`"${seg.trim()}": the end must come after the start`);
      for (const d of days) week[d]!.push({ start, end });
    }
  }
  for (const day of week) day.sort((x, y) => x.start - y.start);
  return week;
}

/** Checks `YYYY-MM-DD` dates; returns them as a set. */
export function parseHolidays(dates: readonly string[]): Set<string> {
  for (const d of dates) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d);
    const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
    if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== d) {
      throw new WindowError(`holiday "${d}" is not a date like 2025-10-01`);
    }
  }
  return new Set(dates);
}

/** Country calling codes and the zone used for their numbers (the capital's, or the most populous). */
const COUNTRY_ZONES: Record<string, string> = {
  '1': 'America/New_York',
  '7': 'Europe/Moscow',
  '27': 'Africa/Johannesburg',
  '33': 'Europe/Paris',
  '34': 'Europe/Madrid',
  '39': 'Europe/Rome',
  '44': 'Europe/London',
  '49': 'Europe/Berlin',
  '55': 'America/Sao_Paulo',
  '60': 'Asia/Kuala_Lumpur',
  '61': 'Australia/Sydney',
  '62': 'Asia/Jakarta',
  '63': 'Asia/Manila',
  '64': 'Pacific/Auckland',
  '65': 'Asia/Singapore',
  '66': 'Asia/Bangkok',
  '81': 'Asia/Tokyo',
  '82': 'Asia/Seoul',
  '84': 'Asia/Ho_Chi_Minh',
  '86': 'Asia/Shanghai',
  '852': 'Asia/Hong_Kong',
  '853': 'Asia/Macau',
  '855': 'Asia/Phnom_Penh',
  '880': 'Asia/Dhaka',
  '886': 'Asia/Taipei',
  '91': 'Asia/Kolkata',
  '92': 'Asia/Karachi',
  '966': 'Asia/Riyadh',
  '971': 'Asia/Dubai',
};

export const MAINLAND_ZONE = 'Asia/Shanghai';

/** Checks that Intl knows the zone. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The callee's zone: international numbers (`+CC…` or `00CC…`) by the longest matching country code
 * (`overrides` first, e.g. `{"1": "America/Los_Angeles"}`), everything else mainland China.
 */
export function zoneOfNumber(number: string, overrides?: Readonly<Record<string, string>>): string {
  let digits: string | undefined;
  if (number.startsWith('+')) digits = number.slice(1);
  else if (number.startsWith('00')) digits = number.slice(2);
  if (digits === undefined) return MAINLAND_ZONE;
  for (let len = 4; len >= 1; len--) {
    const cc = digits.slice(0, len);
    const zone = overrides?.[cc] ?? COUNTRY_ZONES[cc];
    if (zone) return zone;
  }
  return MAINLAND_ZONE;
}

/** UTC offsets of zones, cached per quarter hour (every zone's offset changes on a quarter hour). */
export class ZoneOffsets {
  readonly #formats = new Map<string, Intl.DateTimeFormat>();
  readonly #cache = new Map<string, { bucket: number; offset: number }>();

  /** Local wall time minus UTC, ms, at instant `t`. */
  offset(zone: string, t: number): number {
    const bucket = Math.floor(t / QUARTER_MS);
    const hit = this.#cache.get(zone);
    if (hit && hit.bucket === bucket) return hit.offset;
    let format = this.#formats.get(zone);
    if (!format) {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
      });
      this.#formats.set(zone, format);
    }
    const at = bucket * QUARTER_MS;
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(at))
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    const local = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!);
    const offset = local - at;
    this.#cache.set(zone, { bucket, offset });
    return offset;
  }

  /** The local wall time of `t` in `zone`, as ms since the epoch of a UTC calendar. */
  local(zone: string, t: number): number {
    return t + this.offset(zone, t);
  }

  /** The instant whose local wall time in `zone` is `local` (the later one across a DST change). */
  instant(zone: string, local: number): number {
    const guess = local - this.offset(zone, local);
    return local - this.offset(zone, guess);
  }
}

/** A window: a week schedule and holidays (local dates). */
export interface CallingWindow {
  week: WeekSchedule;
  holidays: ReadonlySet<string>;
}

function dateOf(localMs: number): string {
  return new Date(localMs - (localMs % DAY_MS)).toISOString().slice(0, 10);
}

/**
 * The first instant ≥ `t` at which `window` is open for a callee in `zone`; `t` itself when it is
 * open now; undefined when it never opens within the next 60 days.
 */
export function nextOpen(
  window: CallingWindow,
  zone: string,
  t: number,
  offsets: ZoneOffsets,
): number | undefined {
  const local = offsets.local(zone, t);
  const midnight = local - (((local % DAY_MS) + DAY_MS) % DAY_MS);
  const minute = (local - midnight) / 60_000;
  for (let d = 0; d < 60; d++) {
    const dayStart = midnight + d * DAY_MS;
    const weekday = new Date(dayStart).getUTCDay();
    const segments = window.week[weekday]!;
    if (segments.length === 0) continue;
    if (window.holidays.size > 0 && window.holidays.has(dateOf(dayStart))) continue;
    for (const seg of segments) {
      if (d === 0 && minute >= seg.end) continue;
      if (d === 0 && minute >= seg.start) return t;
      return Math.max(t, offsets.instant(zone, dayStart + seg.start * 60_000));
    }
  }
  return undefined;
}

/** `HH:MM` local time of `t` in `zone` with its date, for decisions people read. */
export function localLabel(zone: string, t: number, offsets: ZoneOffsets): string {
  const iso = new Date(offsets.local(zone, t)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} ${zone}`;
}

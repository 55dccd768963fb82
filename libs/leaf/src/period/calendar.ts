/** How often a period tag's sequence restarts: every day, month or year in the module's `timeZone`, or never. */
export type LeafPeriod = 'day' | 'month' | 'year' | 'none';

/** Every `LeafPeriod`, for checking one and for listing them (an OpenAPI enum, a select). */
export const PERIODS: readonly LeafPeriod[] = ['day', 'month', 'year', 'none'];

/** The date of a day in the calendar's zone, as the format tokens print it. */
export interface CalendarDay {
  /** `yyyyMMdd`: compares as the dates do. */
  readonly key: string;
  readonly yyyy: string;
  readonly MM: string;
  readonly dd: string;
  /** The first instant (ms since the epoch) of a later day. */
  readonly end: number;
}

/** The length of the key that names a period: `yyyyMMdd`, `yyyyMM`, `yyyy`. */
const KEY_LENGTH: Record<Exclude<LeafPeriod, 'none'>, number> = { day: 8, month: 6, year: 4 };
/** Longer than any day, month or year, however a zone's offset moves: where the search for a period's end stops. */
const SEARCH_SPAN: Record<Exclude<LeafPeriod, 'none'>, number> = {
  day: 3 * 86_400_000,
  month: 34 * 86_400_000,
  year: 368 * 86_400_000,
};

/** How many characters name a period: 8 (`yyyyMMdd`), 6 (`yyyyMM`) or 4 (`yyyy`). */
export function periodKeyLength(period: Exclude<LeafPeriod, 'none'>): number {
  return KEY_LENGTH[period];
}

/** The period a day belongs to, as its row is named: `20261201`, `202612` or `2026`. */
export function periodKey(dayKey: string, period: Exclude<LeafPeriod, 'none'>): string {
  return dayKey.slice(0, KEY_LENGTH[period]);
}

/** Whether the year, month and day name a date of the proleptic Gregorian calendar: 20260229 does not. */
export function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const last = new Date(0);
  last.setUTCFullYear(year, month, 0); // day 0 of the next month: the last of this one (and no 19xx for year < 100)
  return day <= last.getUTCDate();
}

/**
 * Whether `key` names a real period of `period`: `20261231` a day, `202612` a month, `2026` a year; not `20261232`,
 * nor year `0000`, which no calendar of the common era has.
 */
export function isPeriodKey(key: string, period: Exclude<LeafPeriod, 'none'>): boolean {
  if (key.length !== KEY_LENGTH[period] || !/^\d+$/.test(key) || key.startsWith('0000')) return false;
  const month = period === 'year' ? 1 : Number(key.slice(4, 6));
  const day = period === 'day' ? Number(key.slice(6, 8)) : 1;
  return validDate(Number(key.slice(0, 4)), month, day);
}

/**
 * Dates in one IANA time zone on the host's clock. Dates are read through `Intl.DateTimeFormat`, which knows each
 * zone's daylight-saving rules; the instant a day or period ends is found by bisection on that same reading, so a
 * day that starts at 01:00 (a spring-forward at midnight) or lasts 25 hours needs no rule of its own.
 */
export class Calendar {
  private readonly format: Intl.DateTimeFormat;

  /**
   * @param timeZone an IANA zone; throws RangeError when the runtime does not know it
   * @param clock milliseconds since the epoch
   */
  constructor(
    readonly timeZone: string,
    readonly clock: () => number,
  ) {
    this.format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  }

  /** The zone's canonical name (`utc` → `UTC`), or throws RangeError naming the zone. */
  static canonicalZone(timeZone: string): string {
    return new Intl.DateTimeFormat('en-CA', { timeZone }).resolvedOptions().timeZone;
  }

  /** The day `at` falls on, with the instant a later day begins. */
  dayAt(at: number): CalendarDay {
    const key = this.keyAt(at);
    const end = this.firstAfter(at, SEARCH_SPAN.day, (t) => this.keyAt(t) > key);
    return { key, yyyy: key.slice(0, 4), MM: key.slice(4, 6), dd: key.slice(6, 8), end };
  }

  /** The first instant after `at` that falls in a later period than `at` does. */
  periodEnd(at: number, period: Exclude<LeafPeriod, 'none'>): number {
    const key = periodKey(this.keyAt(at), period);
    return this.firstAfter(at, SEARCH_SPAN[period], (t) => periodKey(this.keyAt(t), period) > key);
  }

  /** `yyyyMMdd` of the day `at` falls on. */
  keyAt(at: number): string {
    let year = '';
    let month = '';
    let day = '';
    for (const part of this.format.formatToParts(at)) {
      if (part.type === 'year') year = part.value.padStart(4, '0');
      else if (part.type === 'month') month = part.value;
      else if (part.type === 'day') day = part.value;
    }
    return year + month + day;
  }

  /**
   * The least t in (at, at + span] where `later(t)` holds, given that it holds from some point on. When it never
   * does within the span (a zone whose clocks jumped back a whole day), the end of the span: the period is then
   * read again there, and the tag stays in its period, as periods never go back.
   */
  private firstAfter(at: number, span: number, later: (t: number) => boolean): number {
    let low = at;
    let high = at + span;
    if (!later(high)) return high;
    while (high - low > 1) {
      const middle = low + Math.floor((high - low) / 2);
      if (later(middle)) high = middle;
      else low = middle;
    }
    return high;
  }
}

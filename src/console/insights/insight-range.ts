import { ok, type Result, refuse } from '../../core/result.ts';
import { isIsoDate } from '../console-dates.ts';

/** Calendar days in the organization's time zone, `YYYY-MM-DD`, both included. */
export interface InsightRange {
  readonly from: string;
  readonly to: string;
}

/** What the insights page shows: a range of days, and how long "quiet" is. */
export interface InsightQuery {
  readonly range: InsightRange;
  readonly quietDays: number;
}

export type Bucket = 'day' | 'week';

export const DEFAULT_RANGE_DAYS = 90;
export const DEFAULT_QUIET_DAYS = 30;
export const MAX_RANGE_DAYS = 731;
export const MAX_QUIET_DAYS = 365;
/** Ranges up to this many days are shown day by day; longer ones week by week. */
export const MAX_DAILY_DAYS = 31;

/** Insights start no earlier than this day. */
const EARLIEST_DATE = '1970-01-01';
const DAY_MS = 86_400_000;

const toUtc = (date: string) => Date.parse(`${date}T00:00:00Z`);
const fromUtc = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Whether the text is a real calendar date from 1970 on, written `YYYY-MM-DD`. */
const isInsightDate = (text: string) => isIsoDate(text) && text >= EARLIEST_DATE;

export function addDays(date: string, days: number): string {
  return fromUtc(toUtc(date) + days * DAY_MS);
}

/** Days from one date to another: 0 for the same day. */
export function daysBetween(from: string, to: string): number {
  return Math.round((toUtc(to) - toUtc(from)) / DAY_MS);
}

/** The Monday on or before a date (weeks start on Monday, as Postgres's `date_trunc`). */
export function mondayOf(date: string): string {
  const weekday = new Date(toUtc(date)).getUTCDay(); // 0: Sunday
  return addDays(date, -((weekday + 6) % 7));
}

/** The local date of an instant in a time zone. */
export function localDate(instant: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(instant);
  const field = (type: string) => parts.find((part) => part.type === type)?.value;
  return `${field('year')}-${field('month')}-${field('day')}`;
}

export function bucketOf(range: InsightRange): Bucket {
  return daysBetween(range.from, range.to) + 1 <= MAX_DAILY_DAYS ? 'day' : 'week';
}

/** The first day of every bucket the range touches, in order. */
export function bucketStarts(range: InsightRange, bucket: Bucket): string[] {
  const step = bucket === 'day' ? 1 : 7;
  const starts: string[] = [];
  for (
    let day = bucket === 'day' ? range.from : mondayOf(range.from);
    day <= range.to;
    day = addDays(day, step)
  ) {
    starts.push(day);
  }
  return starts;
}

/** A query field: its trimmed text, the fallback when missing or blank, or '' when not text. */
function field(query: Readonly<Record<string, unknown>>, name: string, fallback: string): string {
  const value = query[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'string') return '';
  return value.trim() === '' ? fallback : value.trim();
}

/**
 * Reads `from`, `to` (dates) and `quiet` (days) from a page's query; missing or blank ones
 * take their defaults: the 90 days to today, and 30 quiet days.
 */
export function parseInsightQuery(
  query: Readonly<Record<string, unknown>>,
  today: string,
): Result<InsightQuery, 'bad_query'> {
  const bad = (message: string) => refuse('bad_query', message);
  const to = field(query, 'to', today);
  if (!isInsightDate(to)) return bad('“To” must be a date written like 2025-01-31.');
  const from = field(query, 'from', addDays(to, 1 - DEFAULT_RANGE_DAYS));
  if (!isInsightDate(from)) return bad('“From” must be a date written like 2025-01-31.');
  if (from > to) return bad('“From” must be on or before “To”.');
  if (daysBetween(from, to) + 1 > MAX_RANGE_DAYS) {
    return bad(`Pick a range of at most ${MAX_RANGE_DAYS} days.`);
  }
  const quiet = field(query, 'quiet', String(DEFAULT_QUIET_DAYS));
  const quietDays = /^\d{1,4}$/.test(quiet) ? Number(quiet) : Number.NaN;
  if (!(quietDays >= 1 && quietDays <= MAX_QUIET_DAYS)) {
    return bad(`“Quiet for” must be a whole number of days from 1 to ${MAX_QUIET_DAYS}.`);
  }
  return ok({ range: { from, to }, quietDays });
}

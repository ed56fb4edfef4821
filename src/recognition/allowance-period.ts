export const CADENCES = ['weekly', 'monthly', 'quarterly'] as const;
export type Cadence = (typeof CADENCES)[number];

/** One giving period of an organization: from local midnight of its first day to the next's. */
export interface AllowancePeriod {
  readonly cadence: Cadence;
  /** Local date of the first day, YYYY-MM-DD; names the period in idempotency keys. */
  readonly firstDay: string;
  readonly start: Date;
  /** When the next period starts: the reset date. */
  readonly end: Date;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = partsFormatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partsFormatters.set(timezone, formatter);
  }
  return formatter;
}

/** The wall-clock fields of an instant in a time zone. */
function wallClock(instant: Date, timezone: string) {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timezone).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return fields as {
    year: number;
    month: number;
    day: number;
    hour: number;
    minute: number;
    second: number;
  };
}

/** Milliseconds the zone is ahead of UTC at an instant. */
function offsetAt(instant: Date, timezone: string): number {
  const w = wallClock(instant, timezone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The first instant of a local date in a zone: its midnight, or, where a DST change skips
 * midnight, the first moment that exists that day.
 */
export function startOfLocalDay(date: LocalDate, timezone: string): Date {
  const midnightAsUtc = Date.UTC(date.year, date.month - 1, date.day);
  let instant = midnightAsUtc - offsetAt(new Date(midnightAsUtc), timezone);
  // The offset at the guess may differ from the offset at midnight (DST between them).
  instant = midnightAsUtc - offsetAt(new Date(instant), timezone);
  const check = wallClock(new Date(instant), timezone);
  if (check.day !== date.day) {
    // Midnight does not exist on this date; the day starts when the clock jumps forward.
    instant += 3_600_000 - (check.minute * 60 + check.second) * 1000;
  }
  // Where the clock falls back across midnight, midnight happens twice: take the first.
  for (const earlier of [3_600_000, 1_800_000]) {
    const w = wallClock(new Date(instant - earlier), timezone);
    if (
      w.day === date.day &&
      w.month === date.month &&
      w.hour === 0 &&
      w.minute === 0 &&
      w.second === 0
    ) {
      instant -= earlier;
      break;
    }
  }
  return new Date(instant);
}

function addMonths(date: LocalDate, months: number): LocalDate {
  const index = date.year * 12 + (date.month - 1) + months;
  return { year: Math.floor(index / 12), month: (index % 12) + 1, day: 1 };
}

function addDays(date: LocalDate, days: number): LocalDate {
  const utc = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: utc.getUTCFullYear(), month: utc.getUTCMonth() + 1, day: utc.getUTCDate() };
}

function firstDayOf(cadence: Cadence, today: LocalDate): LocalDate {
  if (cadence === 'monthly') return { ...today, day: 1 };
  if (cadence === 'quarterly') {
    return { year: today.year, month: Math.floor((today.month - 1) / 3) * 3 + 1, day: 1 };
  }
  const weekday = new Date(Date.UTC(today.year, today.month - 1, today.day)).getUTCDay();
  return addDays(today, -((weekday + 6) % 7)); // back to Monday
}

function nextFirstDay(cadence: Cadence, first: LocalDate): LocalDate {
  if (cadence === 'weekly') return addDays(first, 7);
  return addMonths(first, cadence === 'monthly' ? 1 : 3);
}

const iso = (date: LocalDate) =>
  `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;

/**
 * The period an instant falls in, for an organization's cadence and time zone. Weeks
 * start on Monday; months and quarters on their first day; all at local midnight.
 */
export function allowancePeriodAt(
  instant: Date,
  cadence: Cadence,
  timezone: string,
): AllowancePeriod {
  // Every give asks for the current period; time-zone arithmetic is slow, so the last
  // answer per cadence and zone is kept while instants fall inside it.
  const cacheKey = `${cadence}|${timezone}`;
  const known = lastPeriods.get(cacheKey);
  if (known && instant >= known.start && instant < known.end) return known;
  const period = computePeriod(instant, cadence, timezone);
  lastPeriods.set(cacheKey, period);
  return period;
}

const lastPeriods = new Map<string, AllowancePeriod>();

function computePeriod(instant: Date, cadence: Cadence, timezone: string): AllowancePeriod {
  const now = wallClock(instant, timezone);
  const first = firstDayOf(cadence, { year: now.year, month: now.month, day: now.day });
  return {
    cadence,
    firstDay: iso(first),
    start: startOfLocalDay(first, timezone),
    end: startOfLocalDay(nextFirstDay(cadence, first), timezone),
  };
}

const localDateOf = (iso: string): LocalDate => {
  const [year, month, day] = iso.split('-').map(Number);
  return { year: year as number, month: month as number, day: day as number };
};

/**
 * The periods of the other cadences that begin on a day of this one, by cadence and first
 * day. An organization that changed its cadence may have opened some of them already:
 * what they granted belongs to this period's span, so it is not granted again.
 */
export function periodsStartingWithin(
  period: Pick<AllowancePeriod, 'cadence' | 'firstDay'>,
): Array<{ cadence: Cadence; firstDay: string }> {
  const first = localDateOf(period.firstDay);
  const end = iso(nextFirstDay(period.cadence, first));
  const found: Array<{ cadence: Cadence; firstDay: string }> = [];
  for (const cadence of CADENCES) {
    if (cadence === period.cadence) continue;
    let day = firstDayOf(cadence, first);
    while (iso(day) < end) {
      if (iso(day) >= period.firstDay) found.push({ cadence, firstDay: iso(day) });
      day = nextFirstDay(cadence, day);
    }
  }
  return found;
}

/** The period just before this one. */
export function previousAllowancePeriod(
  period: AllowancePeriod,
  timezone: string,
): AllowancePeriod {
  return allowancePeriodAt(new Date(period.start.getTime() - 1), period.cadence, timezone);
}

/** "this week", "this month" or "this quarter", for sentences. */
export function periodNoun(cadence: Cadence): string {
  return { weekly: 'week', monthly: 'month', quarterly: 'quarter' }[cadence];
}

/** The first instant of the local day an instant falls on. */
export function startOfDayAt(instant: Date, timezone: string): Date {
  const now = wallClock(instant, timezone);
  return startOfLocalDay({ year: now.year, month: now.month, day: now.day }, timezone);
}

import { type RawBuilder, sql } from 'kysely';

/*
 * Calendar days as the console's filters take them: `YYYY-MM-DD`, days of the
 * organization's time zone.
 */

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether the text is a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(text: string): boolean {
  if (!ISO_DATE.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/** Local days, both included; a missing end leaves that side open. */
export interface LocalDays {
  readonly from?: string;
  readonly to?: string;
}

/**
 * A condition that an instant column falls within local days of a time zone: from the
 * start of `from` to the start of the day after `to`. The zone is a name, or SQL that
 * reads one. With neither end, every instant does.
 */
export function withinLocalDays(
  column: RawBuilder<unknown>,
  days: LocalDays,
  zone: string | RawBuilder<unknown>,
): RawBuilder<boolean> {
  const bounds: RawBuilder<unknown>[] = [];
  if (days.from !== undefined) {
    bounds.push(sql`${column} >= ((${days.from}::date)::timestamp at time zone ${zone})`);
  }
  if (days.to !== undefined) {
    bounds.push(sql`${column} < ((${days.to}::date + 1)::timestamp at time zone ${zone})`);
  }
  return bounds.length === 0 ? sql<boolean>`true` : sql<boolean>`${sql.join(bounds, sql` and `)}`;
}

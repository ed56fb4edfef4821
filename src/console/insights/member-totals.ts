import { sql } from 'kysely';
import type { InsightRange } from './insight-range.ts';
import { addDays } from './insight-range.ts';

/*
 * Each person's kudos in a range, from their running totals (migrations/0027): the totals as
 * of the range's last day less those as of the day before its first, two rows a person found
 * through the GiST index on each row's span of days, however many kudos were kept.
 *
 * SPAN is the indexed expression, written exactly as migrations/0027 wrote it (the index is
 * only used by a query naming the same expression); a test reads the plan to keep it so.
 */

const EPOCH = "date '1900-01-01'";
const DAYS = 1_000_000;
const prefix = (organization: string, privacy: string) =>
  `(${organization} * 2 + ${privacy}::int) * ${DAYS}::bigint`;

/** The span of days a row's totals hold for, as indexed in migrations/0027. */
const SPAN = `int8range(${prefix('organization_id', 'private')} + (day - ${EPOCH}),
  ${prefix('organization_id', 'private')} + coalesce(next_day - ${EPOCH}, ${DAYS}))`;

/** The point in a span whose row holds an organization's totals as of a day. */
const asOf = (organizationId: number, isPrivate: boolean, day: string) =>
  sql`((${organizationId}::bigint * 2 + ${isPrivate}::boolean::int) * ${sql.lit(DAYS)}::bigint
    + (${day}::date - ${sql.raw(EPOCH)}))`;

/** Every person's totals as of one day (public and private apart), `sign` times. */
const totalsAsOf = (organizationId: number, day: string, sign: 1 | -1) =>
  sql.join(
    [false, true].map(
      (isPrivate) => sql`
        select t.member_id, t.private, ${sql.lit(sign)} * t.given as given,
          ${sql.lit(sign)} * t.given_points as given_points,
          ${sql.lit(sign)} * t.received as received,
          ${sql.lit(sign)} * t.received_points as received_points
        from kudos_member_totals t
        where ${sql.raw(SPAN)} @> ${asOf(organizationId, isPrivate, day)}`,
    ),
    sql`\nunion all\n`,
  );

/**
 * Each person who gave or received kudos in the range: their public kudos given and received
 * with their points (`given`, `given_points`, `received`, `received_points`: what a view that
 * names people shows), and all of them, private ones too (`all_given`, `all_received`: what
 * the sums by group count). A `with` body.
 */
export const peopleInRange = (organizationId: number, range: InsightRange) => sql`
  select d.member_id,
    coalesce(sum(d.given) filter (where not d.private), 0)::bigint as given,
    coalesce(sum(d.given_points) filter (where not d.private), 0)::bigint as given_points,
    coalesce(sum(d.received) filter (where not d.private), 0)::bigint as received,
    coalesce(sum(d.received_points) filter (where not d.private), 0)::bigint as received_points,
    sum(d.given)::bigint as all_given, sum(d.received)::bigint as all_received
  from (
    ${totalsAsOf(organizationId, range.to, 1)}
    union all
    ${totalsAsOf(organizationId, addDays(range.from, -1), -1)}
  ) d
  group by d.member_id
  having sum(d.given) <> 0 or sum(d.received) <> 0`;

/** One person's public kudos given in the range, from two probes of their totals. */
export const publicGivenInRange = (
  organizationId: number,
  memberId: ReturnType<typeof sql.ref>,
  range: InsightRange,
) => {
  const givenAsOf = (day: string) => sql`coalesce((
    select t.given from kudos_member_totals t
    where t.organization_id = ${organizationId} and t.member_id = ${memberId} and not t.private
      and t.day <= ${day}::date
    order by t.day desc limit 1), 0)`;
  return sql`(${givenAsOf(range.to)} - ${givenAsOf(addDays(range.from, -1))})`;
};

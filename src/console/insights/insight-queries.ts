import { type RawBuilder, sql, type Transaction } from 'kysely';
import { isPermitted, toPermissionRule } from '../../core/permission-rule.ts';
import { type Database, sessions } from '../../db/database.ts';
import type { MemberRole, Tables } from '../../db/tables.ts';
import { NO_GROUP } from '../../rewards/billing.ts';
import {
  addDays,
  type Bucket,
  bucketOf,
  bucketStarts,
  type InsightRange,
} from './insight-range.ts';

/*
 * What the insights page reads. A "kudos" is one recipient of one recognition (a
 * recognition to two people is two kudos). Reversed recognitions count for nothing, and
 * every query reads one organization only, over local days of its time zone. Private
 * kudos count in the sums (over time, by value, by group) but not in the views that name
 * people (top givers and receivers, quiet people, mutual pairs): those are public ones only.
 *
 * They read the kudos counted per local day as they were written (migrations/0025: per
 * organization, value, person and pair), never the kudos themselves, so a view's work
 * grows with the days and people in its range, not with the kudos kept; the views of
 * people and groups read the days that are over from their roll-ups (migrations/0027:
 * running totals per person, kudos between groups per day), so theirs grows with the
 * people, not with the days.
 */

export interface TimeBucket {
  /** The bucket's first day, `YYYY-MM-DD` (a Monday for weeks). */
  readonly start: string;
  readonly recognitions: number;
  readonly points: number;
}

export interface RecognitionsOverTime {
  readonly bucket: Bucket;
  /** Every bucket the range touches, empty ones included, oldest first. */
  readonly buckets: readonly TimeBucket[];
}

export interface ValueCount {
  readonly value: string;
  readonly recognitions: number;
}

export interface GroupActivity {
  /** Null: members in no group. */
  readonly groupId: number | null;
  readonly name: string;
  /** Kudos given by the group's members. */
  readonly given: number;
  /** Kudos received by the group's members. */
  readonly received: number;
}

export interface PersonTotal {
  readonly memberId: number;
  readonly name: string;
  readonly kudos: number;
  readonly points: number;
}

export interface QuietMember {
  readonly memberId: number;
  readonly name: string;
  /** Their last kudos received (ever, not only in the range); null: never. */
  readonly lastRecognizedAt: Date | null;
  /** Whole days since their last kudos, or since they joined if never. */
  readonly quietDays: number;
}

export interface PairSide {
  readonly memberId: number;
  readonly name: string;
  /** Kudos this one gave the other. */
  readonly toOther: number;
  /** Kudos this one gave anyone. */
  readonly given: number;
  /** `toOther / given`, from 0 to 1. */
  readonly share: number;
}

export interface MutualPair {
  readonly a: PairSide;
  readonly b: PairSide;
}

export interface GroupNetwork {
  /** The groups that gave or received kudos, by name; "(no group)" last. */
  readonly groups: ReadonlyArray<{ readonly groupId: number | null; readonly name: string }>;
  /** `kudos[i][j]`: kudos from members of `groups[i]` to members of `groups[j]`. */
  readonly kudos: readonly (readonly number[])[];
}

/** A pair counts when each gives the other at least this many kudos… */
export const PAIR_MIN_EACH_WAY = 3;
/** …and those are at least this percentage of what each gives anyone. */
export const PAIR_MIN_SHARE_PERCENT = 50;

/** The range's local days, as a condition on a `day` column of the kudos counts. */
const withinDays = (column: string, range: InsightRange) =>
  sql<boolean>`${sql.ref(column)} between ${range.from}::date and ${range.to}::date`;

/**
 * Which kudos a view reads: `all`, or the `public` ones only (a view that names people).
 * The per-person and per-pair counts keep a private kudos in rows of their own.
 */
type Which = 'all' | 'public';

const ofWhich = (column: string, which: Which) =>
  which === 'public' ? sql<boolean>`not ${sql.ref(column)}` : sql<boolean>`true`;

/**
 * The last local days the roll-ups (migrations/0027) are right through (null: none):
 * `people` for the running totals and the groups' days, `pairs` for the pairs' totals.
 * Their `closed_through` and `pairs_through`, while the time zone is the one they were
 * counted in, and before the first day rolled up whose kudos changed since (a kudos dated
 * back into it; the other changes move them themselves). Read once a page, in its
 * snapshot, and given to its queries as values, so the planner knows the days they read.
 */
export interface ClosedDays {
  readonly people: string | null;
  readonly pairs: string | null;
}

export async function readClosedDays(db: Database, organizationId: number): Promise<ClosedDays> {
  const changedFrom = (column: string) => sql`(
    select min(coalesce(a.day, b.day)) - 1
    from (select day, sum(kudos) as kudos from kudos_days
      where organization_id = ${organizationId} and day <= ${sql.ref(column)} group by day) a
    full join (select day, kudos from kudos_rollup_days
      where organization_id = ${organizationId} and day <= ${sql.ref(column)}) b on b.day = a.day
    where coalesce(a.kudos, 0) <> coalesce(b.kudos, 0))`;
  const { rows } = await sql<{ people: string | null; pairs: string | null }>`
    select to_char(least(s.closed_through, ${changedFrom('s.closed_through')}), 'YYYY-MM-DD')
        as people,
      to_char(least(s.pairs_through, ${changedFrom('s.pairs_through')}), 'YYYY-MM-DD') as pairs
    from organizations o
    left join kudos_rollup_state s on s.organization_id = o.id and s.timezone = o.timezone
    where o.id = ${organizationId}`.execute(db);
  return { people: rows[0]?.people ?? null, pairs: rows[0]?.pairs ?? null };
}

/**
 * How a range splits: `closedEnd`, its last day read from the roll-ups (null: none of it),
 * and `openFrom`, its first day read from the day rows (after `to`: none of it).
 */
function split(range: InsightRange, closed: string | null) {
  const closedEnd = closed !== null && closed >= range.from ? minDay(range.to, closed) : null;
  const openFrom = closed !== null && closed >= range.from ? addDays(closed, 1) : range.from;
  return { closedEnd, openFrom };
}

const minDay = (x: string, y: string) => (x < y ? x : y);

/**
 * Each person's kudos given and received in the range, with their points (public ones:
 * `all` has no points): a `with` body. Their running totals through the range's last
 * closed day less those through the day before the range, plus the day rows after the
 * last closed day: two rows a person, whatever the range's length, and the open days.
 */
export const peopleInRange = (
  organizationId: number,
  range: InsightRange,
  which: Which,
  closed: string | null,
  /** A query of the member ids wanted, when not everyone's. */
  only?: RawBuilder<unknown>,
) => {
  const wanted = (column: string) =>
    only === undefined ? sql`true` : sql`${sql.ref(column)} in (${only})`;
  const [given, received] =
    which === 'public' ? ['public_given', 'public_received'] : ['given', 'received'];
  const points = (column: string) => (which === 'public' ? sql.ref(column) : sql`0`);
  const { closedEnd, openFrom } = split(range, closed);
  const before = addDays(range.from, -1);
  const parts = [
    ...(closedEnd === null
      ? []
      : [
          sql`select r.member_id,
            case when r.day = ${before}::date then -1 else 1 end as sign,
            ${sql.ref(`r.${given}`)} as given, ${points('r.public_given_points')} as given_points,
            ${sql.ref(`r.${received}`)} as received,
            ${points('r.public_received_points')} as received_points
          from kudos_member_running r
          where r.organization_id = ${organizationId}
            and r.day in (${closedEnd}::date, ${before}::date) and ${wanted('r.member_id')}`,
        ]),
    ...(openFrom > range.to
      ? []
      : [
          sql`select d.member_id, 1, d.given, d.given_points, d.received, d.received_points
          from kudos_member_days d
          where d.organization_id = ${organizationId}
            and d.day between ${openFrom}::date and ${range.to}::date
            and ${ofWhich('d.private', which)} and ${wanted('d.member_id')}`,
        ]),
  ];
  return sql`
  select member_id, sum(sign * given)::bigint as given,
    sum(sign * given_points)::bigint as given_points,
    sum(sign * received)::bigint as received,
    sum(sign * received_points)::bigint as received_points
  from (${sql.join(parts, sql`\nunion all\n`)}) parts (member_id, sign, given, given_points,
    received, received_points)
  group by member_id
  having sum(sign * given) <> 0 or sum(sign * received) <> 0`;
};

/**
 * The rows that sum to each person's kudos in the range, all (`given`, `received`) and
 * public ones with their points, side by side, each with its `sign`: a `with` body, read
 * as {@link peopleInRange} reads them.
 */
const peopleParts = (organizationId: number, range: InsightRange, closed: string | null) => {
  const { closedEnd, openFrom } = split(range, closed);
  const before = addDays(range.from, -1);
  const pub = (column: string) => sql`case when d.private then 0 else ${sql.ref(column)} end`;
  const parts = [
    ...(closedEnd === null
      ? []
      : [
          sql`select r.member_id, case when r.day = ${before}::date then -1 else 1 end,
            r.given, r.received, r.public_given, r.public_given_points, r.public_received,
            r.public_received_points
          from kudos_member_running r
          where r.organization_id = ${organizationId}
            and r.day in (${closedEnd}::date, ${before}::date)`,
        ]),
    ...(openFrom > range.to
      ? []
      : [
          sql`select d.member_id, 1, d.given, d.received, ${pub('d.given')},
            ${pub('d.given_points')}, ${pub('d.received')}, ${pub('d.received_points')}
          from kudos_member_days d
          where d.organization_id = ${organizationId}
            and d.day between ${openFrom}::date and ${range.to}::date`,
        ]),
  ];
  return sql`
  select * from (${sql.join(parts, sql`\nunion all\n`)}) parts (member_id, sign, given,
    received, public_given, public_given_points, public_received, public_received_points)`;
};

/** The buckets of a range, from the rows found (a bucket with none counts zero). */
export function timeBuckets(
  range: InsightRange,
  rows: readonly TimeBucket[],
): RecognitionsOverTime {
  const bucket = bucketOf(range);
  const found = new Map(rows.map((row) => [row.start, row]));
  return {
    bucket,
    buckets: bucketStarts(range, bucket).map(
      (start) => found.get(start) ?? { start, recognitions: 0, points: 0 },
    ),
  };
}

/** Recognitions and points per day (ranges up to 31 days) or per week (Monday first). */
export async function recognitionsOverTime(
  db: Database,
  organizationId: number,
  range: InsightRange,
): Promise<RecognitionsOverTime> {
  const { rows } = await sql<TimeBucket>`
    select to_char(date_trunc(${sql.lit(bucketOf(range))}, d.day), 'YYYY-MM-DD') as start,
      sum(d.recognitions)::bigint as recognitions, sum(d.points)::bigint as points
    from kudos_days d
    where d.organization_id = ${organizationId} and ${withinDays('d.day', range)}
    group by 1`.execute(db);
  return timeBuckets(range, rows);
}

/** Recognitions naming each company value, most first (one may name several). */
export async function recognitionsByValue(
  db: Database,
  organizationId: number,
  range: InsightRange,
): Promise<ValueCount[]> {
  const { rows } = await sql<ValueCount>`
    select v.value, sum(v.recognitions)::bigint as recognitions
    from kudos_value_days v
    where v.organization_id = ${organizationId} and ${withinDays('v.day', range)}
    group by v.value
    having sum(v.recognitions) > 0
    order by recognitions desc, v.value`.execute(db);
  return rows;
}

export interface GroupActivityRow {
  group_id: number | null;
  name: string | null;
  given: number;
  received: number;
}

export const toGroupActivity = (rows: readonly GroupActivityRow[]): GroupActivity[] =>
  rows.map((row) => ({
    groupId: row.group_id,
    name: row.name ?? NO_GROUP,
    given: row.given,
    received: row.received,
  }));

/**
 * Kudos given and received by each group's members (someone in two groups counts in
 * both), groups by name, then "(no group)" for members in none.
 */
export async function recognitionsByGroup(
  db: Database,
  organizationId: number,
  range: InsightRange,
  closed?: ClosedDays,
): Promise<GroupActivity[]> {
  return (await peopleSections(db, organizationId, range, 10, closed)).groups;
}

/** Who gave the most points, with how many kudos. */
export async function topGivers(
  db: Database,
  organizationId: number,
  range: InsightRange,
  limit = 10,
  closed?: ClosedDays,
) {
  return (await peopleSections(db, organizationId, range, limit, closed)).givers;
}

/** Who received the most points, with how many kudos. */
export async function topReceivers(
  db: Database,
  organizationId: number,
  range: InsightRange,
  limit = 10,
  closed?: ClosedDays,
) {
  return (await peopleSections(db, organizationId, range, limit, closed)).receivers;
}

interface SectionRow {
  section: 'group' | 'giver' | 'receiver';
  id: number | null;
  name: string | null;
  a: string;
  b: string;
}

/**
 * The sections that read each person's totals in the range (the groups' activity, all
 * kudos; the top givers and receivers, public ones), from one read of them: each person's
 * totals, all and public side by side, are summed once for the three (at 50,000 people,
 * a hundred thousand running totals and the open days' rows), not once a section.
 */
export async function peopleSections(
  db: Database,
  organizationId: number,
  range: InsightRange,
  limit: number,
  closed?: ClosedDays,
): Promise<{ groups: GroupActivity[]; givers: PersonTotal[]; receivers: PersonTotal[] }> {
  const { people } = closed ?? (await readClosedDays(db, organizationId));
  const { rows } = await sql<SectionRow>`
    with totals as materialized (
      select member_id, sum(sign * given)::bigint as given,
        sum(sign * received)::bigint as received,
        sum(sign * public_given)::bigint as public_given,
        sum(sign * public_given_points)::bigint as public_given_points,
        sum(sign * public_received)::bigint as public_received,
        sum(sign * public_received_points)::bigint as public_received_points
      from (${peopleParts(organizationId, range, people)}) parts
      group by member_id
    ),
    -- The memberships as a table of their own, so they are joined to everyone's totals
    -- by one hash (the totals' rows are not known to the planner, which probed the index
    -- of memberships once a person).
    memberships as materialized (
      select member_id, group_id from group_members where organization_id = ${organizationId}
    ),
    groups as (
      select gm.group_id as id, g.name, sum(p.given)::bigint as a, sum(p.received)::bigint as b
      from totals p
      left join memberships gm on gm.member_id = p.member_id
      left join groups g on g.id = gm.group_id
      where p.given <> 0 or p.received <> 0
      group by gm.group_id, g.name
    ),
    -- The first by points and kudos, with those tied with the last of them: the names
    -- that order the ties are read for these few only.
    top_givers as (
      select member_id, public_given as a, public_given_points as b from totals
      where public_given > 0
      order by b desc, a desc fetch first ${limit} rows with ties
    ),
    top_receivers as (
      select member_id, public_received as a, public_received_points as b from totals
      where public_received > 0
      order by b desc, a desc fetch first ${limit} rows with ties
    ),
    givers as (
      select m.id, m.display_name as name, p.a, p.b
      from top_givers p join members m on m.id = p.member_id
      order by b desc, a desc, m.display_name, m.id
      limit ${limit}
    ),
    receivers as (
      select m.id, m.display_name as name, p.a, p.b
      from top_receivers p join members m on m.id = p.member_id
      order by b desc, a desc, m.display_name, m.id
      limit ${limit}
    )
    select 'group' as section, id, name, a, b, row_number() over (order by name nulls last) as n
    from groups
    union all
    select 'giver', id, name, a, b, row_number() over (order by b desc, a desc, name, id)
    from givers
    union all
    select 'receiver', id, name, a, b, row_number() over (order by b desc, a desc, name, id)
    from receivers
    order by section, n`.execute(db);
  const of = (section: SectionRow['section']) => rows.filter((row) => row.section === section);
  const person = (row: SectionRow): PersonTotal => ({
    memberId: row.id as number,
    name: row.name as string,
    kudos: Number(row.a),
    points: Number(row.b),
  });
  return {
    groups: toGroupActivity(
      of('group').map((row) => ({
        group_id: row.id,
        name: row.name,
        given: Number(row.a),
        received: Number(row.b),
      })),
    ),
    givers: of('giver').map(person),
    receivers: of('receiver').map(person),
  };
}

export interface QuietRow {
  id: number;
  name: string;
  roles: MemberRole[];
  group_ids: number[];
  last_at: Date | null;
  quiet_since: Date;
  who_may_receive: unknown;
}

/** The quiet people who may be recognised, from their rows. */
export const toQuietMembers = (rows: readonly QuietRow[], asOf: Date): QuietMember[] =>
  rows
    .filter((row) =>
      isPermitted(toPermissionRule(row.who_may_receive ?? { kind: 'everyone' }), {
        memberId: row.id,
        roles: row.roles,
        groupIds: row.group_ids.map(Number),
      }),
    )
    .map((row) => ({
      memberId: row.id,
      name: row.name,
      lastRecognizedAt: row.last_at === null ? null : new Date(row.last_at),
      quietDays: Math.floor((asOf.getTime() - new Date(row.quiet_since).getTime()) / 86_400_000),
    }));

/**
 * Active people who may be recognised (not bots; guests only where guests take part; as
 * "who may receive" allows) and have had no kudos for `days` days as of `asOf`, nor since
 * they joined: the longest quiet first.
 */
export async function quietMembers(
  db: Database,
  organizationId: number,
  quiet: { readonly days: number; readonly asOf: Date },
  closed?: ClosedDays,
): Promise<QuietMember[]> {
  const { people } = closed ?? (await readClosedDays(db, organizationId));
  const cutoff = new Date(quiet.asOf.getTime() - quiet.days * 86_400_000);
  // Their last public kudos received: from their running totals through the last closed
  // day and the day rows since (one read of the organization's people), or without
  // roll-ups, from their newest day with one (one probe of the counts' index a person).
  const latest =
    people === null
      ? sql`left join lateral (
          select d.last_received_at as received_at from kudos_member_days d
          where d.organization_id = m.organization_id and d.member_id = m.id
            and d.received > 0 and not d.private
          order by d.day desc
          limit 1
        ) latest on true`
      : sql`left join (
          select member_id, max(received_at) as received_at from (
            select r.member_id, r.public_last_received_at as received_at
            from kudos_member_running r
            where r.organization_id = ${organizationId} and r.day = ${people}::date
            union all
            select d.member_id, d.last_received_at from kudos_member_days d
            where d.organization_id = ${organizationId} and d.day > ${people}::date
              and d.received > 0 and not d.private
          ) received
          group by member_id
        ) latest on latest.member_id = m.id`;
  const { rows } = await sql<QuietRow>`
    select m.id, m.display_name as name, m.roles,
      array(select gm.group_id from group_members gm
        where gm.organization_id = m.organization_id and gm.member_id = m.id) as group_ids,
      latest.received_at as last_at,
      coalesce(latest.received_at, m.created_at) as quiet_since, s.who_may_receive
    from members m
    left join recognition_settings s on s.organization_id = m.organization_id
    ${latest}
    where m.organization_id = ${organizationId}
      and m.status = 'active' and not m.is_bot
      and (not m.is_guest or coalesce(s.guests_may_participate, false))
      and coalesce(latest.received_at, m.created_at) <= ${cutoff}
    order by quiet_since, m.display_name, m.id`.execute(db);
  return toQuietMembers(rows, quiet.asOf);
}

export interface PairRow {
  a_id: number;
  a_name: string;
  a_to_b: number;
  a_given: number;
  b_id: number;
  b_name: string;
  b_to_a: number;
  b_given: number;
}

export function toMutualPairs(rows: readonly PairRow[]): MutualPair[] {
  const side = (memberId: number, name: string, toOther: number, given: number): PairSide => ({
    memberId,
    name,
    toOther,
    given,
    share: toOther / given,
  });
  return rows.map((row) => ({
    a: side(row.a_id, row.a_name, row.a_to_b, row.a_given),
    b: side(row.b_id, row.b_name, row.b_to_a, row.b_given),
  }));
}

/**
 * Pairs who mostly recognise each other: each gave the other at least
 * {@link PAIR_MIN_EACH_WAY} kudos, and at least {@link PAIR_MIN_SHARE_PERCENT}% of all they
 * gave. Busiest pairs first.
 */
export async function mutualPairs(
  db: Database,
  organizationId: number,
  range: InsightRange,
  closed?: ClosedDays,
): Promise<MutualPair[]> {
  const { people, pairs } = closed ?? (await readClosedDays(db, organizationId));
  // A pair is mutual in a range only with PAIR_MIN_EACH_WAY kudos each way in all: the
  // candidates are the pairs with that many through the pairs' totals' last day
  // (migrations/0027), or with kudos since; only theirs are counted in the range, from
  // the kudos between the two (an index on giver, recipient and time).
  const totals = (query: ReturnType<typeof sql>) => (pairs === null ? sql`0` : query);
  const { rows } = await sql<PairRow>`
    with recent as (
      select p.giver_id, p.recipient_id, sum(p.kudos) as n
      from kudos_pair_days p
      where p.organization_id = ${organizationId} and not p.private
        and p.day > ${pairs ?? '-infinity'}::date
      group by p.giver_id, p.recipient_id
    ),
    three as (
      select t.giver_id, t.recipient_id, t.kudos
      from kudos_pair_totals t
      where t.organization_id = ${organizationId} and t.kudos >= ${PAIR_MIN_EACH_WAY}
        and ${pairs !== null}
    ),
    either as (
      select giver_id, recipient_id from three union select giver_id, recipient_id from recent
    ),
    bound as (
      select giver_id, recipient_id, sum(n) as n from (
        select giver_id, recipient_id, kudos as n from three
        union all
        -- The pairs with kudos since whose other way may be a candidate, with their totals
        -- under three (those with more are above), looked up one by one.
        select r.giver_id, r.recipient_id, r.n + ${totals(sql`coalesce((
            select t.kudos from kudos_pair_totals t
            where t.organization_id = ${organizationId} and t.giver_id = r.giver_id
              and t.recipient_id = r.recipient_id and t.kudos < ${PAIR_MIN_EACH_WAY}), 0)`)}
        from recent r
        where exists (select 1 from either e
          where e.giver_id = r.recipient_id and e.recipient_id = r.giver_id)
      ) parts
      group by giver_id, recipient_id
      having sum(n) >= ${PAIR_MIN_EACH_WAY}
    ),
    candidates as (
      select ab.giver_id, ab.recipient_id from bound ab
      join bound ba on ba.giver_id = ab.recipient_id and ba.recipient_id = ab.giver_id
    ),
    bounds as (
      select (${range.from}::date::timestamp at time zone o.timezone) as starts,
        ((${range.to}::date + 1)::timestamp at time zone o.timezone) as ends
      from organizations o where o.id = ${organizationId}
    ),
    pairs as (
      select k.giver_id, k.recipient_id, count(*) as n
      from bounds c
      cross join candidates k
      join recognition_recipients rr on rr.giver_id = k.giver_id
        and rr.recipient_id = k.recipient_id
        and rr.created_at >= c.starts and rr.created_at < c.ends
      join recognitions r on r.id = rr.recognition_id and not r.private
      where rr.organization_id = ${organizationId}
        and not exists (select 1 from recognition_reversals v
          where v.recognition_id = rr.recognition_id)
      group by k.giver_id, k.recipient_id
    ),
    strong as (select * from pairs where n >= ${PAIR_MIN_EACH_WAY}),
    given as (${peopleInRange(
      organizationId,
      range,
      'public',
      people,
      sql`select giver_id from strong`,
    )})
    select ab.giver_id as a_id, ma.display_name as a_name, ab.n as a_to_b,
      ga.given as a_given,
      ab.recipient_id as b_id, mb.display_name as b_name, ba.n as b_to_a,
      gb.given as b_given
    from strong ab
    join strong ba on ba.giver_id = ab.recipient_id and ba.recipient_id = ab.giver_id
    join given ga on ga.member_id = ab.giver_id
    join given gb on gb.member_id = ab.recipient_id
    join members ma on ma.id = ab.giver_id
    join members mb on mb.id = ab.recipient_id
    where ab.giver_id < ab.recipient_id
      and ab.n * 100 >= ga.given * ${PAIR_MIN_SHARE_PERCENT}
      and ba.n * 100 >= gb.given * ${PAIR_MIN_SHARE_PERCENT}
    order by ab.n + ba.n desc, ma.display_name, mb.display_name`.execute(db);
  return toMutualPairs(rows);
}

export interface NetworkRow {
  from_id: number | null;
  from_name: string | null;
  to_id: number | null;
  to_name: string | null;
  kudos: number;
}

/** The matrix of kudos between groups, from its cells. */
export function toGroupNetwork(rows: readonly NetworkRow[]): GroupNetwork {
  const names = new Map<number | null, string>();
  for (const row of rows) {
    names.set(row.from_id, row.from_name ?? NO_GROUP);
    names.set(row.to_id, row.to_name ?? NO_GROUP);
  }
  const groups = [...names]
    .map(([groupId, name]) => ({ groupId, name }))
    .sort((x, y) =>
      x.groupId === null ? 1 : y.groupId === null ? -1 : x.name.localeCompare(y.name),
    );
  const index = new Map(groups.map((group, i) => [group.groupId, i]));
  const kudos = groups.map(() => groups.map(() => 0));
  for (const row of rows) {
    const from = index.get(row.from_id) as number;
    const to = index.get(row.to_id) as number;
    (kudos[from] as number[])[to] = Number(row.kudos);
  }
  return { groups, kudos };
}

/**
 * Kudos between groups, as a matrix from the giver's groups to the recipient's (someone
 * in two groups counts in both; the diagonal is kudos within a group).
 */
export async function groupNetwork(
  db: Database,
  organizationId: number,
  range: InsightRange,
  closed?: ClosedDays,
): Promise<GroupNetwork> {
  const { people } = closed ?? (await readClosedDays(db, organizationId));
  const { closedEnd, openFrom } = split(range, people);
  // The closed days from the groups' day rows (migrations/0027), the open ones from the
  // kudos between people, with the groups they are in now (0: in none).
  const cells = [
    ...(closedEnd === null
      ? []
      : [
          sql`select g.from_group, g.to_group, g.kudos
          from kudos_group_days g
          where g.organization_id = ${organizationId}
            and g.day between ${range.from}::date and ${closedEnd}::date`,
        ]),
    ...(openFrom > range.to
      ? []
      : [
          sql`select coalesce(fm.group_id, 0), coalesce(tm.group_id, 0), p.kudos
          from kudos_pair_days p
          left join group_members fm on fm.member_id = p.giver_id
            and fm.organization_id = ${organizationId}
          left join group_members tm on tm.member_id = p.recipient_id
            and tm.organization_id = ${organizationId}
          where p.organization_id = ${organizationId}
            and p.day between ${openFrom}::date and ${range.to}::date`,
        ]),
  ];
  const { rows } = await sql<NetworkRow>`
    select fg.id as from_id, fg.name as from_name, tg.id as to_id, tg.name as to_name,
      sum(k.kudos)::bigint as kudos
    from (${sql.join(cells, sql`\nunion all\n`)}) k (from_group, to_group, kudos)
    left join groups fg on fg.id = k.from_group
    left join groups tg on tg.id = k.to_group
    group by fg.id, fg.name, tg.id, tg.name
    having sum(k.kudos) > 0`.execute(db);
  return toGroupNetwork(rows);
}

/** Every insight for a range, read in one read-only snapshot. */
export interface Insights {
  readonly time: Awaited<ReturnType<typeof recognitionsOverTime>>;
  readonly values: Awaited<ReturnType<typeof recognitionsByValue>>;
  readonly groups: Awaited<ReturnType<typeof recognitionsByGroup>>;
  readonly receivers: Awaited<ReturnType<typeof topReceivers>>;
  readonly givers: Awaited<ReturnType<typeof topGivers>>;
  readonly quiet: Awaited<ReturnType<typeof quietMembers>>;
  readonly pairs: Awaited<ReturnType<typeof mutualPairs>>;
  readonly network: Awaited<ReturnType<typeof groupNetwork>>;
}

/**
 * The insights page's queries, in one read-only repeatable-read transaction on one
 * connection: the sections agree with each other, and a page view never holds more than
 * one of the pool's connections.
 */
/** Whether an insights read of this process is reading people in a second session. */
let readingBeside = false;

export async function readInsights(
  db: Database,
  organizationId: number,
  range: InsightRange,
  quiet: { readonly days: number; readonly asOf: Date },
): Promise<Insights> {
  const [time, values, people, quietOnes, pairs, network] = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      // Each query reads a few thousand rows a person or day: starting parallel workers
      // or compiling costs more than it saves, and on a busy server much more. The
      // people's rows (a hundred thousand at 50,000 people) are held and summed in memory:
      // with the default 4 MB they went to disk.
      await insightSettings(trx);
      const closed = await readClosedDays(trx, organizationId);
      // Each person's totals take as long as all the rest (a hundred thousand rows at
      // 50,000 people): on a server, a second session reads them in this one's snapshot
      // meanwhile. One page at a time in a process does, so that a page holding one
      // connection while it waits for a second can never wait on another such page.
      const beside = sessions(db) > 1 && !readingBeside;
      if (beside) readingBeside = true;
      const peopleRead = beside
        ? inSnapshotOf(trx, db, (other) =>
            peopleSections(other, organizationId, range, 10, closed),
          ).finally(() => {
            readingBeside = false;
          })
        : peopleSections(trx, organizationId, range, 10, closed);
      const [people, time, values, quietOnes, pairs, network] = await Promise.all([
        peopleRead,
        recognitionsOverTime(trx, organizationId, range),
        recognitionsByValue(trx, organizationId, range),
        quietMembers(trx, organizationId, quiet, closed),
        mutualPairs(trx, organizationId, range, closed),
        groupNetwork(trx, organizationId, range, closed),
      ]);
      return [time, values, people, quietOnes, pairs, network] as const;
    });
  const { groups, receivers, givers } = people;
  return { time, values, groups, receivers, givers, quiet: quietOnes, pairs, network };
}

/** The settings each insights transaction reads with (see {@link readInsights}). */
async function insightSettings(trx: Transaction<Tables>): Promise<void> {
  await sql`select set_config('max_parallel_workers_per_gather', '0', true),
    set_config('jit', 'off', true), set_config('work_mem', '32MB', true)`.execute(trx);
}

/**
 * Runs `read` in a second transaction of `db` that sees exactly what `trx` sees: `trx`
 * exports its snapshot, and the other imports it before its first query (Postgres'
 * own way for parallel readers to agree, as pg_dump's jobs do). `trx` must stay open
 * until `read` has begun; its caller awaits both.
 */
async function inSnapshotOf<T>(
  trx: Transaction<Tables>,
  db: Database,
  read: (other: Transaction<Tables>) => Promise<T>,
): Promise<T> {
  const { rows } = await sql<{ id: string }>`select pg_export_snapshot() as id`.execute(trx);
  const id = rows[0]?.id as string;
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (other) => {
      await sql`set transaction snapshot ${sql.lit(id)}`.execute(other);
      await insightSettings(other);
      return read(other);
    });
}

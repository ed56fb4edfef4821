import { type RawBuilder, sql } from 'kysely';
import { isPermitted, toPermissionRule } from '../../core/permission-rule.ts';
import type { Database } from '../../db/database.ts';
import type { MemberRole } from '../../db/tables.ts';
import { NO_GROUP } from '../../rewards/billing.ts';
import { withinLocalDays } from '../console-dates.ts';
import { type Bucket, bucketOf, bucketStarts, type InsightRange } from './insight-range.ts';

/*
 * What the insights page reads. A "kudos" is one recipient of one recognition (a
 * recognition to two people is two kudos). Reversed recognitions count for nothing, and
 * every query reads one organization only, over local days of its time zone. Private
 * kudos count in the sums (over time, by value, by group) but not in the views that name
 * people (top givers and receivers, quiet people, mutual pairs): those are public ones only.
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

const zoneOf = (organizationId: number) =>
  sql`(select o.timezone from organizations o where o.id = ${organizationId})`;

/** The range's local days, as a condition on an instant column. */
const withinRange = (column: RawBuilder<unknown>, organizationId: number, range: InsightRange) =>
  withinLocalDays(column, range, zoneOf(organizationId));

const notReversed = (recognitionId: RawBuilder<unknown>) =>
  sql<boolean>`not exists (select 1 from recognition_reversals rv
    where rv.recognition_id = ${recognitionId})`;

/** A private kudos names nobody in a view of people: only its giver and recipients know. */
const notPrivate = (recognitionId: RawBuilder<unknown>) =>
  sql<boolean>`not exists (select 1 from recognitions pr
    where pr.id = ${recognitionId} and pr.private)`;

/**
 * The organization's kudos in the range, not reversed: a `with kudos as (…)` body. A view
 * that names people reads the `public` ones only.
 */
const kudosInRange = (
  organizationId: number,
  range: InsightRange,
  which: 'all' | 'public' = 'all',
) => sql`
  select rr.recognition_id, rr.giver_id, rr.recipient_id, rr.amount, rr.created_at
  from recognition_recipients rr
  where rr.organization_id = ${organizationId}
    and ${withinRange(sql.ref('rr.created_at'), organizationId, range)}
    and ${notReversed(sql.ref('rr.recognition_id'))}
    and ${which === 'public' ? notPrivate(sql.ref('rr.recognition_id')) : sql`true`}`;

/** Recognitions and points per day (ranges up to 31 days) or per week (Monday first). */
export async function recognitionsOverTime(
  db: Database,
  organizationId: number,
  range: InsightRange,
): Promise<RecognitionsOverTime> {
  const bucket = bucketOf(range);
  const { rows } = await sql<TimeBucket>`
    with kudos as (${kudosInRange(organizationId, range)})
    select to_char(date_trunc(${sql.lit(bucket)}, k.created_at at time zone ${zoneOf(organizationId)}),
        'YYYY-MM-DD') as start,
      count(distinct k.recognition_id)::bigint as recognitions,
      sum(k.amount)::bigint as points
    from kudos k
    group by 1`.execute(db);
  const found = new Map(rows.map((row) => [row.start, row]));
  return {
    bucket,
    buckets: bucketStarts(range, bucket).map(
      (start) => found.get(start) ?? { start, recognitions: 0, points: 0 },
    ),
  };
}

/** Recognitions naming each company value, most first (one may name several). */
export async function recognitionsByValue(
  db: Database,
  organizationId: number,
  range: InsightRange,
): Promise<ValueCount[]> {
  const { rows } = await sql<ValueCount>`
    select v.value, count(*)::bigint as recognitions
    from recognitions r
    cross join lateral unnest(r.company_values) as v(value)
    where r.organization_id = ${organizationId}
      and ${withinRange(sql.ref('r.created_at'), organizationId, range)}
      and ${notReversed(sql.ref('r.id'))}
    group by v.value
    order by recognitions desc, v.value`.execute(db);
  return rows;
}

/**
 * Kudos given and received by each group's members (someone in two groups counts in
 * both), groups by name, then "(no group)" for members in none.
 */
export async function recognitionsByGroup(
  db: Database,
  organizationId: number,
  range: InsightRange,
): Promise<GroupActivity[]> {
  const { rows } = await sql<{
    group_id: number | null;
    name: string | null;
    given: number;
    received: number;
  }>`
    with kudos as (${kudosInRange(organizationId, range)}),
    -- Kudos per person first (a few hundred rows), then per group: joining every kudos to
    -- its people's groups made a row per kudos and group, sorted on disk.
    per_member as (
      select member_id, sum(given)::bigint as given, sum(received)::bigint as received
      from (
        select giver_id as member_id, 1 as given, 0 as received from kudos
        union all
        select recipient_id, 0, 1 from kudos
      ) sides
      group by member_id
    )
    select gm.group_id, g.name,
      sum(p.given)::bigint as given, sum(p.received)::bigint as received
    from per_member p
    left join group_members gm on gm.member_id = p.member_id
      and gm.organization_id = ${organizationId}
    left join groups g on g.id = gm.group_id
    group by gm.group_id, g.name
    order by g.name nulls last`.execute(db);
  return rows.map((row) => ({
    groupId: row.group_id,
    name: row.name ?? NO_GROUP,
    given: row.given,
    received: row.received,
  }));
}

async function topPeople(
  db: Database,
  organizationId: number,
  range: InsightRange,
  side: 'giver_id' | 'recipient_id',
  limit: number,
): Promise<PersonTotal[]> {
  const { rows } = await sql<PersonTotal>`
    with kudos as (${kudosInRange(organizationId, range, 'public')})
    select m.id as "memberId", m.display_name as name,
      count(*)::bigint as kudos, sum(k.amount)::bigint as points
    from kudos k
    join members m on m.id = ${sql.ref(`k.${side}`)}
    group by m.id, m.display_name
    order by points desc, kudos desc, m.display_name, m.id
    limit ${limit}`.execute(db);
  return rows;
}

/** Who gave the most points, with how many kudos. */
export function topGivers(db: Database, organizationId: number, range: InsightRange, limit = 10) {
  return topPeople(db, organizationId, range, 'giver_id', limit);
}

/** Who received the most points, with how many kudos. */
export function topReceivers(
  db: Database,
  organizationId: number,
  range: InsightRange,
  limit = 10,
) {
  return topPeople(db, organizationId, range, 'recipient_id', limit);
}

/**
 * Active people who may be recognised (not bots; guests only where guests take part; as
 * "who may receive" allows) and have had no kudos for `days` days as of `asOf`, nor since
 * they joined: the longest quiet first.
 */
export async function quietMembers(
  db: Database,
  organizationId: number,
  quiet: { readonly days: number; readonly asOf: Date },
): Promise<QuietMember[]> {
  const cutoff = new Date(quiet.asOf.getTime() - quiet.days * 86_400_000);
  const { rows } = await sql<{
    id: number;
    name: string;
    roles: MemberRole[];
    group_ids: number[];
    last_at: Date | null;
    quiet_since: Date;
    who_may_receive: unknown;
  }>`
    select m.id, m.display_name as name, m.roles,
      array(select gm.group_id from group_members gm
        where gm.organization_id = m.organization_id and gm.member_id = m.id) as group_ids,
      latest.received_at as last_at,
      coalesce(latest.received_at, m.created_at) as quiet_since, s.who_may_receive
    from members m
    left join recognition_settings s on s.organization_id = m.organization_id
    left join lateral (
      -- The newest first, one row: an index scan backwards stops at the first kept kudos,
      -- where max() over the anti-join read every kudos the member ever had.
      select rr.created_at as received_at from recognition_recipients rr
      where rr.organization_id = m.organization_id and rr.recipient_id = m.id
        and ${notReversed(sql.ref('rr.recognition_id'))}
        and ${notPrivate(sql.ref('rr.recognition_id'))}
      order by rr.created_at desc
      limit 1
    ) latest on true
    where m.organization_id = ${organizationId}
      and m.status = 'active' and not m.is_bot
      and (not m.is_guest or coalesce(s.guests_may_participate, false))
      and coalesce(latest.received_at, m.created_at) <= ${cutoff}
    order by quiet_since, m.display_name, m.id`.execute(db);
  return rows
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
      quietDays: Math.floor(
        (quiet.asOf.getTime() - new Date(row.quiet_since).getTime()) / 86_400_000,
      ),
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
): Promise<MutualPair[]> {
  const { rows } = await sql<{
    a_id: number;
    a_name: string;
    a_to_b: number;
    a_given: number;
    b_id: number;
    b_name: string;
    b_to_a: number;
    b_given: number;
  }>`
    with kudos as (${kudosInRange(organizationId, range, 'public')}),
    given as (select giver_id, count(*) as n from kudos group by giver_id),
    pairs as (select giver_id, recipient_id, count(*) as n from kudos group by giver_id, recipient_id)
    select ab.giver_id as a_id, ma.display_name as a_name, ab.n::bigint as a_to_b,
      ga.n::bigint as a_given,
      ab.recipient_id as b_id, mb.display_name as b_name, ba.n::bigint as b_to_a,
      gb.n::bigint as b_given
    from pairs ab
    join pairs ba on ba.giver_id = ab.recipient_id and ba.recipient_id = ab.giver_id
    join given ga on ga.giver_id = ab.giver_id
    join given gb on gb.giver_id = ab.recipient_id
    join members ma on ma.id = ab.giver_id
    join members mb on mb.id = ab.recipient_id
    where ab.giver_id < ab.recipient_id
      and ab.n >= ${PAIR_MIN_EACH_WAY} and ba.n >= ${PAIR_MIN_EACH_WAY}
      and ab.n * 100 >= ga.n * ${PAIR_MIN_SHARE_PERCENT}
      and ba.n * 100 >= gb.n * ${PAIR_MIN_SHARE_PERCENT}
    order by ab.n + ba.n desc, ma.display_name, mb.display_name`.execute(db);
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
 * Kudos between groups, as a matrix from the giver's groups to the recipient's (someone
 * in two groups counts in both; the diagonal is kudos within a group).
 */
export async function groupNetwork(
  db: Database,
  organizationId: number,
  range: InsightRange,
): Promise<GroupNetwork> {
  const { rows } = await sql<{
    from_id: number | null;
    from_name: string | null;
    to_id: number | null;
    to_name: string | null;
    kudos: number;
  }>`
    with kudos as (${kudosInRange(organizationId, range)})
    select fg.id as from_id, fg.name as from_name, tg.id as to_id, tg.name as to_name,
      count(*)::bigint as kudos
    from kudos k
    left join group_members fm on fm.member_id = k.giver_id
      and fm.organization_id = ${organizationId}
    left join groups fg on fg.id = fm.group_id
    left join group_members tm on tm.member_id = k.recipient_id
      and tm.organization_id = ${organizationId}
    left join groups tg on tg.id = tm.group_id
    group by fg.id, fg.name, tg.id, tg.name`.execute(db);
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
    (kudos[from] as number[])[to] = row.kudos;
  }
  return { groups, kudos };
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
export async function readInsights(
  db: Database,
  organizationId: number,
  range: InsightRange,
  quiet: { readonly days: number; readonly asOf: Date },
): Promise<Insights> {
  const [time, values, groups, receivers, givers, quietOnes, pairs, network] = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) =>
      Promise.all([
        recognitionsOverTime(trx, organizationId, range),
        recognitionsByValue(trx, organizationId, range),
        recognitionsByGroup(trx, organizationId, range),
        topReceivers(trx, organizationId, range),
        topGivers(trx, organizationId, range),
        quietMembers(trx, organizationId, quiet),
        mutualPairs(trx, organizationId, range),
        groupNetwork(trx, organizationId, range),
      ]),
    );
  return { time, values, groups, receivers, givers, quiet: quietOnes, pairs, network };
}

import { type RawBuilder, sql } from 'kysely';
import { withinLocalDays } from '../../src/console/console-dates.ts';
import {
  type GroupActivityRow,
  type Insights,
  type NetworkRow,
  PAIR_MIN_EACH_WAY,
  PAIR_MIN_SHARE_PERCENT,
  type PairRow,
  type PersonTotal,
  type QuietRow,
  type TimeBucket,
  timeBuckets,
  toGroupActivity,
  toGroupNetwork,
  toMutualPairs,
  toQuietMembers,
  type ValueCount,
} from '../../src/console/insights/insight-queries.ts';
import { bucketOf, type InsightRange } from '../../src/console/insights/insight-range.ts';
import type { Database } from '../../src/db/database.ts';

/*
 * The insights counted straight from the kudos, as the console read them before it kept
 * counts (migrations/0025): what the counts must always agree with. Private kudos count in
 * the sums (over time, by value, by group, between groups), not in the views that name
 * people (top givers and receivers, quiet people, mutual pairs). Slow on purpose: every
 * query reads every kudos in the range and checks each for a reversal.
 */

const zoneOf = (organizationId: number) =>
  sql`(select o.timezone from organizations o where o.id = ${organizationId})`;

const withinRange = (column: RawBuilder<unknown>, organizationId: number, range: InsightRange) =>
  withinLocalDays(column, range, zoneOf(organizationId));

const notReversed = (recognitionId: RawBuilder<unknown>) =>
  sql<boolean>`not exists (select 1 from recognition_reversals rv
    where rv.recognition_id = ${recognitionId})`;

/** A private kudos names nobody in a view of people. */
const notPrivate = (recognitionId: RawBuilder<unknown>) =>
  sql<boolean>`not exists (select 1 from recognitions pr
    where pr.id = ${recognitionId} and pr.private)`;

/** The kudos kept in the range; a view that names people reads the `public` ones only. */
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

async function topPeople(
  db: Database,
  organizationId: number,
  range: InsightRange,
  side: 'giver_id' | 'recipient_id',
): Promise<PersonTotal[]> {
  const { rows } = await sql<PersonTotal>`
    with kudos as (${kudosInRange(organizationId, range, 'public')})
    select m.id as "memberId", m.display_name as name,
      count(*)::bigint as kudos, sum(k.amount)::bigint as points
    from kudos k
    join members m on m.id = ${sql.ref(`k.${side}`)}
    group by m.id, m.display_name
    order by points desc, kudos desc, m.display_name, m.id
    limit 10`.execute(db);
  return rows;
}

/** Every insight of the page, counted from the kudos. */
export async function directInsights(
  db: Database,
  organizationId: number,
  range: InsightRange,
  quiet: { readonly days: number; readonly asOf: Date },
): Promise<Insights> {
  const bucket = bucketOf(range);
  const time = await sql<TimeBucket>`
    with kudos as (${kudosInRange(organizationId, range)})
    select to_char(date_trunc(${sql.lit(bucket)}, k.created_at at time zone ${zoneOf(organizationId)}),
        'YYYY-MM-DD') as start,
      count(distinct k.recognition_id)::bigint as recognitions,
      sum(k.amount)::bigint as points
    from kudos k
    group by 1`.execute(db);
  const values = await sql<ValueCount>`
    select v.value, count(*)::bigint as recognitions
    from recognitions r
    cross join lateral unnest(r.company_values) as v(value)
    where r.organization_id = ${organizationId}
      and ${withinRange(sql.ref('r.created_at'), organizationId, range)}
      and ${notReversed(sql.ref('r.id'))}
    group by v.value
    order by recognitions desc, v.value`.execute(db);
  const groups = await sql<GroupActivityRow>`
    with kudos as (${kudosInRange(organizationId, range)}),
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
  const cutoff = new Date(quiet.asOf.getTime() - quiet.days * 86_400_000);
  const quietOnes = await sql<QuietRow>`
    select m.id, m.display_name as name, m.roles,
      array(select gm.group_id from group_members gm
        where gm.organization_id = m.organization_id and gm.member_id = m.id) as group_ids,
      latest.received_at as last_at,
      coalesce(latest.received_at, m.created_at) as quiet_since, s.who_may_receive
    from members m
    left join recognition_settings s on s.organization_id = m.organization_id
    left join lateral (
      select max(rr.created_at) as received_at from recognition_recipients rr
      where rr.organization_id = m.organization_id and rr.recipient_id = m.id
        and ${notReversed(sql.ref('rr.recognition_id'))}
        and ${notPrivate(sql.ref('rr.recognition_id'))}
    ) latest on true
    where m.organization_id = ${organizationId}
      and m.status = 'active' and not m.is_bot
      and (not m.is_guest or coalesce(s.guests_may_participate, false))
      and coalesce(latest.received_at, m.created_at) <= ${cutoff}
    order by quiet_since, m.display_name, m.id`.execute(db);
  const pairs = await sql<PairRow>`
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
  const network = await sql<NetworkRow>`
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
  return {
    time: timeBuckets(range, time.rows),
    values: values.rows,
    groups: toGroupActivity(groups.rows),
    receivers: await topPeople(db, organizationId, range, 'recipient_id'),
    givers: await topPeople(db, organizationId, range, 'giver_id'),
    quiet: toQuietMembers(quietOnes.rows, quiet.asOf),
    pairs: toMutualPairs(pairs.rows),
    network: toGroupNetwork(network.rows),
  };
}

import { type Kysely, sql } from 'kysely';

/**
 * Roll-ups of the kudos counted per day (migrations/0025) for the days that are over, so
 * the insights of a year read a few rows per person instead of a row per person per day
 * (at ten million kudos, 50,000 people: twelve million person-days a year):
 *
 * - `kudos_member_running`: per person and closed local day, their kudos given and
 *   received (all, and public with points) from the first day through that day: a range's
 *   totals are the row of its last closed day less the row of the day before it, plus the
 *   day rows (0025) of the days after the last closed one; with the last public kudos
 *   received through that day, for the quiet list;
 * - `kudos_group_days`: per closed local day, the kudos from each group to each group as
 *   the groups are now (0: in no group), moved when a person joins or leaves a group;
 * - `kudos_pair_totals`: per giver and recipient, their public kudos through
 *   `pairs_through`: a pair can be mutual in a range only with three each way in all, so
 *   the mutual pairs read the few pairs with three or more and those with kudos since,
 *   and count only those exactly;
 * - `kudos_rollup_days`: per closed day, the kudos it held when it was rolled up.
 *
 * None of it is written by a give: `kudos_rollup_refresh` (a scheduled job) extends them
 * day by day through yesterday, set-based. They are never stale, because a reader only
 * uses them through `kudos_rollup_state.closed_through`, and only while the time zone is
 * the one they were counted in, and only through the day before the first closed day
 * whose kudos no longer match `kudos_rollup_days` (a kudos dated back into a closed day);
 * the writes that change closed days without a give (a reversal, its undoing, a kudos
 * moved, deleted or made private) bring `closed_through` back before the first day they
 * touch, in their own transaction, and the refresh counts those days again; the same
 * writes move the pairs' totals and the days' kudos rolled up by what they change, so
 * those stay right through `pairs_through` (a kudos dated back into a rolled-up day shows
 * as a day whose kudos differ, and the pairs' totals are then counted again from nothing).
 */

/** A move's columns: one kudos kept (+1) or taken off (−1), with its recognition's privacy. */
const MOVE_COLUMNS =
  'organization_id, recognition_id, giver_id, recipient_id, created_at, private, sign';

const kept = (alias: string) =>
  `not exists (select 1 from recognition_reversals v where v.recognition_id = ${alias}.recognition_id)`;

/**
 * What a write that is not a give does to closed days, set-based, after its statement:
 * `closed_through` is brought back before the first local day of its kudos (the people's
 * and groups' roll-ups of those days are counted again by the next refresh), and the pairs'
 * totals and the days' kudos rolled up are moved by it, on the days already rolled up.
 * The roll-ups' row is taken first, so a refresh under way finishes before (and this
 * statement then sees what it wrote) or starts after.
 */
const reopen = (moves: string) => `
  perform 1 from kudos_rollup_state s
  where s.organization_id in (select organization_id from (${moves}) m (${MOVE_COLUMNS}))
  for update;
  update kudos_rollup_state s set closed_through = k.day - 1
  from (
    select m.organization_id, min((m.created_at at time zone o.timezone)::date) as day
    from (${moves}) m (${MOVE_COLUMNS})
    join organizations o on o.id = m.organization_id
    group by m.organization_id
  ) k
  where s.organization_id = k.organization_id and s.closed_through >= k.day;
  with m (${MOVE_COLUMNS}) as (${moves}),
  d as (
    select m.*, (m.created_at at time zone o.timezone)::date as day
    from m join organizations o on o.id = m.organization_id
    join kudos_rollup_state s on s.organization_id = m.organization_id
      and s.timezone = o.timezone
    where (m.created_at at time zone o.timezone)::date <= s.pairs_through
  ),
  days as (
    insert into kudos_rollup_days as t (organization_id, day, kudos)
    select organization_id, day, sum(sign) from d group by 1, 2 order by 1, 2
    on conflict (organization_id, day) do update set kudos = t.kudos + excluded.kudos
  )
  insert into kudos_pair_totals as t (organization_id, giver_id, recipient_id, kudos)
  select organization_id, giver_id, recipient_id, sum(sign) from d where not private
  group by 1, 2, 3 order by 1, 2, 3
  on conflict (organization_id, giver_id, recipient_id) do update
    set kudos = t.kudos + excluded.kudos`;

/** The kudos of the recognitions a transition table of reversals names. */
const reversed = (rows: string, sign: number) =>
  `select rr.organization_id, rr.recognition_id, rr.giver_id, rr.recipient_id, rr.created_at,
     r.private, ${sign}
   from ${rows} t join recognition_recipients rr on rr.recognition_id = t.recognition_id
   join recognitions r on r.id = rr.recognition_id`;

/** The kept kudos of a transition table of recipients. */
const recipients = (rows: string, sign: number) =>
  `select t.organization_id, t.recognition_id, t.giver_id, t.recipient_id, t.created_at,
     coalesce(r.private, false), ${sign}
   from ${rows} t left join recognitions r on r.id = t.recognition_id where ${kept('t')}`;

interface Reopening {
  readonly table: string;
  readonly event: 'insert' | 'update' | 'delete';
  readonly moves: string;
}

const REOPENINGS: Reopening[] = [
  { table: 'recognition_reversals', event: 'insert', moves: reversed('new_rows', -1) },
  {
    table: 'recognition_reversals',
    event: 'update',
    moves: `${reversed('old_rows', 1)} union all ${reversed('new_rows', -1)}`,
  },
  { table: 'recognition_reversals', event: 'delete', moves: reversed('old_rows', 1) },
  {
    table: 'recognition_recipients',
    event: 'update',
    moves: `${recipients('old_rows', -1)} union all ${recipients('new_rows', 1)}`,
  },
  { table: 'recognition_recipients', event: 'delete', moves: recipients('old_rows', -1) },
  {
    // A recognition made private or public moves its kudos between the person's counts.
    table: 'recognitions',
    event: 'update',
    moves: `select rr.organization_id, rr.recognition_id, rr.giver_id, rr.recipient_id,
        rr.created_at, s.private, s.sign
      from old_rows o join new_rows n on n.id = o.id
      cross join lateral (values (o.private, -1), (n.private, 1)) s (private, sign)
      join recognition_recipients rr on rr.recognition_id = n.id
      where o.private is distinct from n.private and ${kept('rr')}`,
  },
];

const reopeningName = ({ table, event }: Reopening) => `${table}_${event}_reopens_rollups`;

/**
 * After group members are added or removed, the closed days' kudos of the people moved
 * are taken off the groups they were in and put on the groups they are in.
 */
const MOVE_GROUPS = `
  perform 1 from kudos_rollup_state s
  where s.organization_id in (select organization_id from changed_rows) for update;
  with changed as (select distinct organization_id, member_id from changed_rows),
  before_groups as (
    (select g.organization_id, g.member_id, g.group_id from group_members g
     join changed c on c.organization_id = g.organization_id and c.member_id = g.member_id
     except select organization_id, member_id, group_id from added_rows)
    union select organization_id, member_id, group_id from removed_rows
  ),
  touched as (
    select rr.recognition_id, rr.recipient_id, rr.giver_id, rr.organization_id, rr.created_at
    from recognition_recipients rr
    join changed c on c.organization_id = rr.organization_id and c.member_id = rr.giver_id
    union
    select rr.recognition_id, rr.recipient_id, rr.giver_id, rr.organization_id, rr.created_at
    from recognition_recipients rr
    join changed c on c.organization_id = rr.organization_id and c.member_id = rr.recipient_id
  ),
  kudos as (
    select t.organization_id, t.giver_id, t.recipient_id, d.day
    from touched t
    join organizations o on o.id = t.organization_id
    join kudos_rollup_state s on s.organization_id = t.organization_id
      and s.timezone = o.timezone
    cross join lateral (select (t.created_at at time zone o.timezone)::date as day) d
    where d.day <= s.closed_through
      and not exists (select 1 from recognition_reversals v
        where v.recognition_id = t.recognition_id)
  ),
  involved as (
    select organization_id, giver_id as member_id from kudos
    union select organization_id, recipient_id from kudos
  ),
  now_sets as (
    select i.organization_id, i.member_id, coalesce(g.group_id, 0) as group_id
    from involved i left join group_members g
      on g.organization_id = i.organization_id and g.member_id = i.member_id
  ),
  then_sets as (
    select n.* from now_sets n where not exists (select 1 from changed c
      where c.organization_id = n.organization_id and c.member_id = n.member_id)
    union all
    select c.organization_id, c.member_id, coalesce(b.group_id, 0)
    from changed c left join before_groups b
      on b.organization_id = c.organization_id and b.member_id = c.member_id
  ),
  sets as (select *, 1 as sign from now_sets union all select *, -1 from then_sets)
  insert into kudos_group_days as t (organization_id, day, from_group, to_group, kudos)
  select k.organization_id, k.day, f.group_id, r.group_id, sum(f.sign)
  from kudos k
  join sets f on f.organization_id = k.organization_id and f.member_id = k.giver_id
  join sets r on r.organization_id = k.organization_id and r.member_id = k.recipient_id
    and r.sign = f.sign
  group by 1, 2, 3, 4 having sum(f.sign) <> 0 order by 1, 2, 3, 4
  on conflict (organization_id, day, from_group, to_group) do update
    set kudos = t.kudos + excluded.kudos;
  delete from kudos_group_days t where t.kudos = 0
    and t.organization_id in (select organization_id from changed_rows);`;

const GROUP_MOVES = [
  {
    event: 'insert',
    referencing: 'new table as new_rows',
    changed: 'new_rows',
    added: 'new_rows',
    removed: 'new_rows where false',
  },
  {
    event: 'delete',
    referencing: 'old table as old_rows',
    changed: 'old_rows',
    added: 'old_rows where false',
    removed: 'old_rows',
  },
  {
    event: 'update',
    referencing: 'old table as old_rows new table as new_rows',
    changed: 'old_rows union all select * from new_rows',
    added: 'new_rows',
    removed: 'old_rows',
  },
] as const;

const moveGroupsBody = (move: (typeof GROUP_MOVES)[number]) =>
  `begin\n${MOVE_GROUPS.replaceAll('changed_rows', `(select * from ${move.changed}) changed_rows`)
    .replaceAll('added_rows', `(select * from ${move.added}) added_rows`)
    .replaceAll(
      'removed_rows',
      `(select * from ${move.removed}) removed_rows`,
    )}\nreturn null;\nend`;

/**
 * Rolls one organization's kudos up through `through` (a local day; the caller passes
 * yesterday), from where its roll-ups are still right, and returns the day they now
 * reach. From nothing when its time zone changed.
 */
const REFRESH = `
declare
  zone text;
  kept_zone text;
  done date;
  pairs_done date;
  changed date;
begin
  insert into kudos_rollup_state (organization_id, timezone)
  select id, timezone from organizations where id = org
  on conflict (organization_id) do nothing;
  select s.timezone, s.closed_through, s.pairs_through into kept_zone, done, pairs_done
  from kudos_rollup_state s where s.organization_id = org for update;
  select timezone into zone from organizations where id = org;
  if kept_zone is distinct from zone then
    done := null;
    pairs_done := null;
  end if;
  -- A day rolled up whose kudos changed without a write that reopens it: a kudos dated
  -- back into it. The pairs' totals are counted again from nothing.
  select min(coalesce(a.day, b.day)) into changed
  from (select day, sum(kudos) as kudos from kudos_days
    where organization_id = org and day <= pairs_done group by day) a
  full join (select day, kudos from kudos_rollup_days
    where organization_id = org and day <= pairs_done) b on b.day = a.day
  where coalesce(a.kudos, 0) <> coalesce(b.kudos, 0);
  if changed is not null then
    done := least(done, changed - 1);
    pairs_done := null;
  end if;

  if done is null then
    select min(day) - 1 into done from kudos_member_days where organization_id = org;
    done := least(done, through);
    delete from kudos_member_running where organization_id = org;
    delete from kudos_group_days where organization_id = org;
    delete from kudos_rollup_days where organization_id = org;
  else
    delete from kudos_member_running where organization_id = org and day > done;
    delete from kudos_group_days where organization_id = org and day > done;
    delete from kudos_rollup_days where organization_id = org and day > done;
  end if;

  if done is not null and through > done then
    insert into kudos_member_running (organization_id, day, member_id, given, received,
      public_given, public_given_points, public_received, public_received_points,
      public_last_received_at)
    with base as (
      select * from kudos_member_running where organization_id = org and day = done
    ),
    moves as (
      select member_id, day, sum(given) as given, sum(received) as received,
        coalesce(sum(given) filter (where not private), 0) as public_given,
        coalesce(sum(given_points) filter (where not private), 0) as public_given_points,
        coalesce(sum(received) filter (where not private), 0) as public_received,
        coalesce(sum(received_points) filter (where not private), 0) as public_received_points,
        max(last_received_at) filter (where not private and received > 0)
          as public_last_received_at
      from kudos_member_days
      where organization_id = org and day > done and day <= through
      group by member_id, day
    ),
    people as (
      select member_id, min(day) as first from (
        select member_id, done as day from base union all select member_id, day from moves
      ) p group by member_id
    )
    select org, d.day, p.member_id,
      coalesce(b.given, 0) + sum(coalesce(m.given, 0)) over w,
      coalesce(b.received, 0) + sum(coalesce(m.received, 0)) over w,
      coalesce(b.public_given, 0) + sum(coalesce(m.public_given, 0)) over w,
      coalesce(b.public_given_points, 0) + sum(coalesce(m.public_given_points, 0)) over w,
      coalesce(b.public_received, 0) + sum(coalesce(m.public_received, 0)) over w,
      coalesce(b.public_received_points, 0) + sum(coalesce(m.public_received_points, 0)) over w,
      greatest(b.public_last_received_at, max(m.public_last_received_at) over w)
    from people p
    join generate_series(done + 1, through, interval '1 day') g (at) on g.at::date >= p.first
    cross join lateral (select g.at::date as day) d
    left join base b on b.member_id = p.member_id
    left join moves m on m.member_id = p.member_id and m.day = d.day
    window w as (partition by p.member_id order by d.day)
    order by 2, 3;

    insert into kudos_group_days (organization_id, day, from_group, to_group, kudos)
    select org, p.day, coalesce(f.group_id, 0), coalesce(r.group_id, 0), sum(p.kudos)
    from kudos_pair_days p
    left join group_members f on f.organization_id = org and f.member_id = p.giver_id
    left join group_members r on r.organization_id = org and r.member_id = p.recipient_id
    where p.organization_id = org and p.day > done and p.day <= through
    group by 2, 3, 4 order by 2, 3, 4;

    insert into kudos_rollup_days (organization_id, day, kudos)
    select org, day, sum(kudos) from kudos_days
    where organization_id = org and day > done and day <= through
    group by day having sum(kudos) <> 0 order by day;
  end if;

  if pairs_done is null then
    delete from kudos_pair_totals where organization_id = org;
    insert into kudos_pair_totals (organization_id, giver_id, recipient_id, kudos)
    select org, giver_id, recipient_id, sum(kudos) from kudos_pair_days
    where organization_id = org and not private and day <= through
    group by 2, 3 order by 2, 3;
  elsif through > pairs_done then
    insert into kudos_pair_totals as t (organization_id, giver_id, recipient_id, kudos)
    select org, giver_id, recipient_id, sum(kudos) from kudos_pair_days
    where organization_id = org and not private and day > pairs_done and day <= through
    group by 2, 3 order by 2, 3
    on conflict (organization_id, giver_id, recipient_id) do update
      set kudos = t.kudos + excluded.kudos;
  end if;

  update kudos_rollup_state set timezone = zone,
    closed_through = greatest(done, through), pairs_through = greatest(pairs_done, through)
  where organization_id = org;
  return greatest(done, through);
end`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table kudos_rollup_state (
      organization_id bigint primary key references organizations (id),
      timezone text not null,
      closed_through date,
      pairs_through date
    )`.execute(db);
  await sql`
    create table kudos_rollup_days (
      organization_id bigint not null references organizations (id),
      day date not null,
      kudos integer not null,
      primary key (organization_id, day)
    )`.execute(db);
  // No foreign keys on the two large ones: they are written a whole day of people at a
  // time, and only by kudos_rollup_refresh, from rows that have them.
  await sql`
    create table kudos_member_running (
      organization_id bigint not null,
      day date not null,
      member_id bigint not null,
      given integer not null,
      received integer not null,
      public_given integer not null,
      public_given_points bigint not null,
      public_received integer not null,
      public_received_points bigint not null,
      public_last_received_at timestamptz,
      primary key (organization_id, day, member_id)
    )`.execute(db);
  await sql`
    create table kudos_group_days (
      organization_id bigint not null,
      day date not null,
      from_group bigint not null,
      to_group bigint not null,
      kudos integer not null,
      primary key (organization_id, day, from_group, to_group)
    )`.execute(db);
  // Public kudos from each giver to each recipient through pairs_through (0 once taken
  // back): the few pairs with PAIR_MIN_EACH_WAY (3) or more are the mutual pairs' candidates.
  await sql`
    create table kudos_pair_totals (
      organization_id bigint not null,
      giver_id bigint not null,
      recipient_id bigint not null,
      kudos integer not null,
      primary key (organization_id, giver_id, recipient_id)
    )`.execute(db);
  await sql`
    create index kudos_pair_totals_three_or_more on kudos_pair_totals (organization_id)
      include (giver_id, recipient_id, kudos) where kudos >= 3`.execute(db);
  await sql
    .raw(`create function kudos_rollup_refresh(org bigint, through date) returns date
      language plpgsql as $$${REFRESH}$$`)
    .execute(db);
  for (const reopening of REOPENINGS) {
    const name = reopeningName(reopening);
    const rows = reopening.event === 'insert' ? 'new table as new_rows' : 'old table as old_rows';
    const both =
      reopening.event === 'update' ? 'old table as old_rows new table as new_rows' : rows;
    await sql
      .raw(`create function ${name}() returns trigger language plpgsql as $$
begin
${reopen(reopening.moves)};
return null;
end$$`)
      .execute(db);
    await sql
      .raw(`create trigger ${name} after ${reopening.event} on ${reopening.table}
        referencing ${both} for each statement execute function ${name}()`)
      .execute(db);
  }
  for (const move of GROUP_MOVES) {
    const name = `group_members_${move.event}_moves_rollups`;
    await sql
      .raw(`create function ${name}() returns trigger language plpgsql as $$
${moveGroupsBody(move)}$$`)
      .execute(db);
    await sql
      .raw(`create trigger ${name} after ${move.event} on group_members
        referencing ${move.referencing} for each statement execute function ${name}()`)
      .execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const move of GROUP_MOVES) {
    const name = `group_members_${move.event}_moves_rollups`;
    await sql.raw(`drop trigger ${name} on group_members`).execute(db);
    await sql.raw(`drop function ${name}()`).execute(db);
  }
  for (const reopening of REOPENINGS) {
    await sql.raw(`drop trigger ${reopeningName(reopening)} on ${reopening.table}`).execute(db);
    await sql.raw(`drop function ${reopeningName(reopening)}()`).execute(db);
  }
  await sql`drop function kudos_rollup_refresh(bigint, date)`.execute(db);
  await sql`drop table kudos_pair_totals, kudos_group_days, kudos_member_running, kudos_rollup_days,
    kudos_rollup_state`.execute(db);
}

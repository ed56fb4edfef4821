import { type Kysely, sql } from 'kysely';

/**
 * Each person's kudos as running totals, so a view of people over any range reads two rows a
 * person instead of one a person a day (migrations/0025 counts per day: at ten million kudos
 * a year of them is about as many rows as kudos, and the insights over 365 days summed them all).
 *
 * `kudos_member_totals` has a row for each row of `kudos_member_days` (a person's day with
 * kudos given or received, public and private apart), holding the totals of that day and every
 * day before it, and the person's next such day (`next_day`, null for the last). A row thus
 * holds the person's totals as of every day from `day` up to (not including) `next_day`, and a
 * range's totals are those as of its last day less those as of the day before its first.
 * It also holds the last kudos received up to then (`last_received_at`): a person's last row
 * (`next_day` null) has their last kudos received ever, which the quiet list reads.
 *
 * "As of a day" is found for every person at once with a GiST index on those spans of days, a
 * range of bigints prefixed with the organization and the privacy (an index on
 * `(organization_id, private, daterange)` would need the btree_gist extension, which a
 * self-hosted server may not allow to be created; the prefix keeps organizations apart in one
 * range without it). {@link SPAN} and {@link asOf} must stay the same expression: the index
 * is only used by a query that writes the span as it was indexed. The index carries the
 * totals (`include`), so the rows are read from it alone, and rows are written in day order,
 * so the rows holding for one day lie near each other.
 *
 * The rows follow `kudos_member_days`, which the triggers of migrations/0025 keep for every
 * write of kudos (gives, reversals, privacy changes, a time zone recount): after each
 * statement changing it, a trigger recomputes each changed person's rows from the first day
 * changed on, from the day counts (a give today rewrites one row and the day before's
 * `next_day`; a seed of millions of kudos is counted in one pass, by window sums).
 *
 * Two writers changing one person on different days (a reversal of an old kudos while they
 * are given one today) would each read the other's rows as they were: each first locks the
 * person's row before its first changed day and every row after (in person order, so two
 * never wait on each other in opposite orders), then recomputes in a statement of its own, whose
 * snapshot sees what the other committed. Writers on the same day already wait on each other
 * for the day's row of `kudos_member_days`.
 */

/** Days are numbered from here in the spans; a range's days start no earlier than 1970. */
const EPOCH = "date '1900-01-01'";
/** Day numbers stay below this (year 4637); the organization and privacy are above it. */
const DAYS = 1_000_000;
const prefix = (organization: string, privacy: string) =>
  `(${organization} * 2 + ${privacy}::int) * ${DAYS}::bigint`;

/** The span of days a row's totals hold for, as indexed. */
export const SPAN = `int8range(${prefix('organization_id', 'private')} + (day - ${EPOCH}),
  ${prefix('organization_id', 'private')} + coalesce(next_day - ${EPOCH}, ${DAYS}))`;

/** The point a row's span contains when it holds the totals as of `day` (SQL expressions). */
export const asOf = (organization: string, privacy: string, day: string) =>
  `(${prefix(organization, privacy)} + (${day}::date - ${EPOCH}))`;

const KEY = ['organization_id', 'member_id', 'private'] as const;
const sameKey = (a: string, b: string) =>
  KEY.map((column) => `${a}.${column} = ${b}.${column}`).join(' and ');

/** Each changed person (and privacy) with their first day changed: the body of `with changed as (…)`. */
const changedFrom = (rows: string) =>
  `select organization_id, member_id, private, min(day) as from_day from (${rows}) x
   group by 1, 2, 3`;

/** An update's rows whose counts changed (a new `last_received_at` alone changes no totals). */
const UPDATED = `select n.organization_id, n.member_id, n.private, n.day
  from new_rows n join old_rows o on ${sameKey('o', 'n')} and o.day = n.day
  where (o.given, o.given_points, o.received, o.received_points, o.last_received_at)
    is distinct from (n.given, n.given_points, n.received, n.received_points, n.last_received_at)`;

/** Locks each changed person's rows from the one before their first changed day on. */
const lockRows = (changed: string) => `
  with changed as (${changed})
  select count(*) into lock_count
  from (select * from changed order by organization_id, member_id, private) c
  cross join lateral (
    select 1 from kudos_member_totals t
    where ${sameKey('t', 'c')} and t.day >= coalesce((
      select max(b.day) from kudos_member_totals b
      where ${sameKey('b', 'c')} and b.day < c.from_day), c.from_day)
    order by t.day
    for update
  ) held`;

/**
 * Recomputes each changed person's rows from their first changed day: the totals before it
 * (the row before, unchanged) plus the day counts since, summed in day order; rows of days no
 * longer counted go, and the row before points to the first day left.
 */
const recompute = (changed: string) => `
  with changed as (${changed}),
  base as (
    select c.*, b.day as base_day, coalesce(b.given, 0) as given,
      coalesce(b.given_points, 0) as given_points, coalesce(b.received, 0) as received,
      coalesce(b.received_points, 0) as received_points, b.last_received_at
    from changed c
    left join lateral (
      select * from kudos_member_totals b where ${sameKey('b', 'c')} and b.day < c.from_day
      order by b.day desc limit 1
    ) b on true
  ),
  totals as (
    select d.organization_id, d.member_id, d.private, d.day,
      lead(d.day) over w as next_day,
      b.given + sum(d.given) over w as given,
      b.given_points + sum(d.given_points) over w as given_points,
      b.received + sum(d.received) over w as received,
      b.received_points + sum(d.received_points) over w as received_points,
      greatest(b.last_received_at, max(d.last_received_at) over w) as last_received_at
    from base b
    join kudos_member_days d on ${sameKey('d', 'b')} and d.day >= b.from_day
    window w as (partition by d.organization_id, d.member_id, d.private order by d.day)
  ),
  gone as (
    delete from kudos_member_totals t using changed c
    where ${sameKey('t', 'c')} and t.day >= c.from_day
      and not exists (select 1 from kudos_member_days d where ${sameKey('d', 't')} and d.day = t.day)
  ),
  written as (
    insert into kudos_member_totals as t (organization_id, member_id, private, day, next_day,
      given, given_points, received, received_points, last_received_at)
    select * from totals order by day, organization_id, member_id, private
    on conflict (organization_id, member_id, private, day) do update
      set next_day = excluded.next_day, given = excluded.given,
        given_points = excluded.given_points, received = excluded.received,
        received_points = excluded.received_points,
        last_received_at = excluded.last_received_at
  )
  update kudos_member_totals t set next_day = (
    select min(d.day) from kudos_member_days d where ${sameKey('d', 'b')} and d.day >= b.from_day)
  from base b
  where ${sameKey('t', 'b')} and t.day = b.base_day`;

interface Follow {
  readonly event: 'insert' | 'update' | 'delete';
  readonly changed: string;
}

const FOLLOWS: Follow[] = [
  {
    event: 'insert',
    changed: changedFrom('select organization_id, member_id, private, day from new_rows'),
  },
  { event: 'update', changed: changedFrom(UPDATED) },
  {
    event: 'delete',
    changed: changedFrom('select organization_id, member_id, private, day from old_rows'),
  },
];

const triggerName = ({ event }: Follow) => `kudos_member_days_${event}_totals`;

/*
 * Kudos between groups, counted as they are written, for the insights' network of groups:
 * `kudos_group_days` per local day and `kudos_group_months` per month (a range reads its
 * whole months from the second and only its days at either end from the first), from the
 * giver's groups to the recipient's (0: in no group; someone in two groups counts in both),
 * private kudos included, as the network counts them. Like the organization's day (0025),
 * a cell is kept in GROUP_SLOTS rows (by giver), so concurrent gives in one group do not wait
 * on each other's commits.
 *
 * They follow `kudos_pair_days` (every write of kudos, as 0025 keeps it) and
 * `group_members`: a person who joins or leaves a group moves all their kudos, given and
 * received, from the cells of their groups before to those after, as the network has always
 * counted people in their groups of today.
 */
const GROUP_SLOTS = 8;

/** Adds moves of pair kudos (`organization_id, day, giver_id, recipient_id, kudos`), each counted in the cells of the given groups. */
const countGroupCells = (moves: string, giverGroups: string, recipientGroups: string) => `
  with m (organization_id, day, giver_id, recipient_id, kudos) as (${moves}),
  cells as (
    select m.organization_id, m.day, (m.giver_id % ${GROUP_SLOTS})::smallint as slot,
      coalesce(fg.group_id, 0) as from_group, coalesce(tg.group_id, 0) as to_group,
      sum(m.kudos) as kudos
    from m
    left join ${giverGroups} fg on fg.organization_id = m.organization_id
      and fg.member_id = m.giver_id
    left join ${recipientGroups} tg on tg.organization_id = m.organization_id
      and tg.member_id = m.recipient_id
    group by 1, 2, 3, 4, 5
    having sum(m.kudos) <> 0
  ),
  days as (
    insert into kudos_group_days as t (organization_id, day, slot, from_group, to_group, kudos)
    select * from cells order by 1, 2, 3, 4, 5
    on conflict (organization_id, day, slot, from_group, to_group) do update
      set kudos = t.kudos + excluded.kudos
  )
  insert into kudos_group_months as t (organization_id, month, slot, from_group, to_group, kudos)
  select organization_id, date_trunc('month', day)::date, slot, from_group, to_group, sum(kudos)
  from cells group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5
  on conflict (organization_id, month, slot, from_group, to_group) do update
    set kudos = t.kudos + excluded.kudos`;

/** Cells left at zero go (after kudos taken back or people moved). */
const TIDY_GROUP_CELLS = [
  'delete from kudos_group_days where kudos = 0',
  'delete from kudos_group_months where kudos = 0',
];
// (Each finds its rows through a partial index of the rows at zero, a handful at most.)

const PAIR_COLUMNS = 'organization_id, day, giver_id, recipient_id';

/** What each statement on `kudos_pair_days` or `group_members` moves between the cells. */
const GROUP_FOLLOWS: Array<{
  table: string;
  event: 'insert' | 'update' | 'delete';
  statements: string[];
}> = [
  {
    table: 'kudos_pair_days',
    event: 'insert',
    statements: [
      countGroupCells(
        `select ${PAIR_COLUMNS}, kudos from new_rows`,
        'group_members',
        'group_members',
      ),
    ],
  },
  {
    table: 'kudos_pair_days',
    event: 'update',
    statements: [
      countGroupCells(
        `select ${PAIR_COLUMNS}, kudos from new_rows
         union all select ${PAIR_COLUMNS}, -kudos from old_rows`,
        'group_members',
        'group_members',
      ),
      ...TIDY_GROUP_CELLS,
    ],
  },
  {
    table: 'kudos_pair_days',
    event: 'delete',
    statements: [
      countGroupCells(
        `select ${PAIR_COLUMNS}, -kudos from old_rows`,
        'group_members',
        'group_members',
      ),
      ...TIDY_GROUP_CELLS,
    ],
  },
  ...(['insert', 'delete'] as const).map((event) => {
    const rows = event === 'insert' ? 'new_rows' : 'old_rows';
    // Everyone's groups before the statement: today's, less the rows it added, with those it took away.
    const before = `(select organization_id, member_id, group_id from group_members
      ${event === 'insert' ? `except all select organization_id, member_id, group_id from ${rows}` : `union all select organization_id, member_id, group_id from ${rows}`})`;
    // The kudos given or received by anyone whose groups changed (each pair-day once).
    const pairs = (sign: string) => `
      select p.organization_id, p.day, p.giver_id, p.recipient_id, ${sign}p.kudos
      from (
        select p.* from kudos_pair_days p
        where (p.organization_id, p.giver_id) in (select organization_id, member_id from ${rows})
        union
        select p.* from kudos_pair_days p
        where (p.organization_id, p.recipient_id) in (select organization_id, member_id from ${rows})
      ) p`;
    return {
      table: 'group_members',
      event,
      statements: [
        countGroupCells(pairs('-'), before, before),
        countGroupCells(pairs(''), 'group_members', 'group_members'),
        ...TIDY_GROUP_CELLS,
      ],
    };
  }),
];

const groupTriggerName = ({ table, event }: { table: string; event: string }) =>
  `${table}_${event}_group_cells`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table kudos_member_totals (
      organization_id bigint not null references organizations (id),
      member_id bigint not null,
      private boolean not null,
      day date not null,
      next_day date,
      given integer not null,
      given_points bigint not null,
      received integer not null,
      received_points bigint not null,
      last_received_at timestamptz,
      primary key (organization_id, member_id, private, day),
      check (next_day > day)
    )`.execute(db);
  // Existing kudos: every person's running totals, from their day counts.
  await sql
    .raw(`insert into kudos_member_totals (organization_id, member_id, private, day, next_day,
        given, given_points, received, received_points, last_received_at)
      select organization_id, member_id, private, day, lead(day) over w,
        sum(given) over w, sum(given_points) over w, sum(received) over w,
        sum(received_points) over w, max(last_received_at) over w
      from kudos_member_days
      window w as (partition by organization_id, member_id, private order by day)
      order by day, organization_id, member_id, private`)
    .execute(db);
  await sql
    .raw(`create index kudos_member_totals_as_of on kudos_member_totals using gist ((${SPAN}))
      include (member_id, given, given_points, received, received_points)`)
    .execute(db);
  // The quiet list: each person's latest row, with their last public kudos received ever.
  await sql`
    create index kudos_member_totals_latest on kudos_member_totals (organization_id, member_id)
      include (last_received_at) where next_day is null and not private`.execute(db);

  for (const follow of FOLLOWS) {
    const name = triggerName(follow);
    const referencing =
      follow.event === 'insert'
        ? 'new table as new_rows'
        : follow.event === 'delete'
          ? 'old table as old_rows'
          : 'old table as old_rows new table as new_rows';
    await sql
      .raw(`create function ${name}() returns trigger language plpgsql as $$
declare
  lock_count bigint;
begin
${lockRows(follow.changed)};
${recompute(follow.changed)};
return null;
end $$`)
      .execute(db);
    await sql
      .raw(`create trigger ${name} after ${follow.event} on kudos_member_days
        referencing ${referencing} for each statement execute function ${name}()`)
      .execute(db);
  }

  for (const [table, bucket] of [
    ['kudos_group_days', 'day'],
    ['kudos_group_months', 'month'],
  ] as const) {
    await sql
      .raw(`create table ${table} (
        organization_id bigint not null references organizations (id),
        ${bucket} date not null,
        slot smallint not null,
        from_group bigint not null,
        to_group bigint not null,
        kudos integer not null,
        primary key (organization_id, ${bucket}, slot, from_group, to_group)
      )`)
      .execute(db);
    await sql
      .raw(`create index ${table}_zero on ${table} (organization_id) where kudos = 0`)
      .execute(db);
  }
  // The overview counts the redemptions asked for this period: found by time, not by reading
  // every redemption (six a person a year in bench:console).
  await sql`create index redemptions_by_time on redemptions (organization_id, requested_at)`.execute(
    db,
  );
  // A person's kudos given and received, found when their groups change.
  await sql`create index kudos_pair_days_by_giver on kudos_pair_days (organization_id, giver_id)`.execute(
    db,
  );
  await sql`create index kudos_pair_days_by_recipient on kudos_pair_days (organization_id, recipient_id)`.execute(
    db,
  );
  // Existing kudos, in the cells of their people's groups.
  await sql
    .raw(
      countGroupCells(
        `select ${PAIR_COLUMNS}, kudos from kudos_pair_days`,
        'group_members',
        'group_members',
      ),
    )
    .execute(db);
  for (const follow of GROUP_FOLLOWS) {
    const name = groupTriggerName(follow);
    const referencing =
      follow.event === 'insert'
        ? 'new table as new_rows'
        : follow.event === 'delete'
          ? 'old table as old_rows'
          : 'old table as old_rows new table as new_rows';
    await sql
      .raw(`create function ${name}() returns trigger language plpgsql as $$
begin
${follow.statements.map((statement) => `${statement};`).join('\n')}
return null;
end $$`)
      .execute(db);
    await sql
      .raw(`create trigger ${name} after ${follow.event} on ${follow.table}
        referencing ${referencing} for each statement execute function ${name}()`)
      .execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const follow of GROUP_FOLLOWS) {
    await sql.raw(`drop trigger ${groupTriggerName(follow)} on ${follow.table}`).execute(db);
    await sql.raw(`drop function ${groupTriggerName(follow)}()`).execute(db);
  }
  await sql`drop index kudos_pair_days_by_giver, kudos_pair_days_by_recipient, redemptions_by_time`.execute(
    db,
  );
  await sql`drop table kudos_group_months, kudos_group_days`.execute(db);
  for (const follow of FOLLOWS) {
    await sql.raw(`drop trigger ${triggerName(follow)} on kudos_member_days`).execute(db);
    await sql.raw(`drop function ${triggerName(follow)}()`).execute(db);
  }
  await sql`drop table kudos_member_totals`.execute(db);
}

import { type Kysely, sql } from 'kysely';

/**
 * Kudos counted as they are written, so the console reads a few rows per day instead of
 * every kudos ever given (at ten million kudos the insights over a year scanned them all):
 *
 * - `kudos_days`: per organization and local day, the recognitions, kudos (one per
 *   recipient) and points kept (not reversed);
 * - `kudos_value_days`: per local day, the recognitions kept naming each company value;
 * - `kudos_member_days`: per person and local day, kudos given and received and their
 *   points, and the last kudos received that day (the quiet list reads it);
 * - `kudos_pair_days`: per giver, recipient and local day, the kudos between them.
 *
 * A private kudos (migrations/0023) counts in the organization's totals and by group but
 * names nobody in a view of people, so the per-person and per-pair rows are kept apart by
 * `private`: the views of people read the public rows, the views of groups both.
 *
 * A "local day" is the day in the organization's time zone, as the console counts.
 * Each upsert takes its rows in key order, so two writers never wait on each other in
 * opposite orders. The database keeps them, so no write path can forget them: after each statement that
 * writes recognitions, recipients or reversals, a trigger adds what the statement kept
 * and takes off what it took back (a reversal, a delete, an update's old row), in one
 * more statement per table, set-based (a seed of millions of kudos is counted in one
 * pass). When an organization changes its time zone its days are counted again.
 * A recipient move carries its recognition's `private`; privacy is set when a kudos is
 * given, but a recognition whose `private` changes moves its kudos between the public and
 * private rows all the same.
 *
 * Existing kudos are counted here, by the same statements.
 */

/** A recipient move's columns: one kudos counted (+1) or taken off (−1). */
const RECIPIENT_COLUMNS =
  'organization_id, recognition_id, giver_id, recipient_id, amount, created_at, private, sign';
/** A recognition move's columns. */
const RECOGNITION_COLUMNS = 'organization_id, recognition_id, company_values, created_at, sign';

/**
 * An organization's day is counted in this many rows (by recognition id), summed when
 * read: every give of the day adds to it, and one row would make concurrent gives wait on
 * each other's commits, where the ledger lets them run side by side.
 */
const SLOTS = 8;
const SLOT = `recognition_id % ${SLOTS}`;

const kept = (alias: string) =>
  `not exists (select 1 from recognition_reversals v where v.recognition_id = ${alias}.recognition_id)`;

/**
 * The recipient rows of a transition table (`rows`), kept, as moves of `sign`, with their
 * recognition's privacy (a recognition is never deleted; were one deleted with its
 * recipients, they would still come off the organization's totals, as public).
 */
const recipientRows = (rows: string, sign: number) =>
  `select t.organization_id, t.recognition_id, t.giver_id, t.recipient_id, t.amount,
     t.created_at, coalesce(r.private, false), ${sign}
   from ${rows} t left join recognitions r on r.id = t.recognition_id where ${kept('t')}`;

/** The recipients of the recognitions a transition table of reversals names. */
const reversedRecipients = (rows: string, sign: number) =>
  `select rr.organization_id, rr.recognition_id, rr.giver_id, rr.recipient_id, rr.amount,
     rr.created_at, r.private, ${sign}
   from ${rows} t join recognition_recipients rr on rr.recognition_id = t.recognition_id
   join recognitions r on r.id = rr.recognition_id`;

/**
 * The kept recipients of the recognitions whose privacy an update changed: off the rows of
 * the old privacy, onto the new.
 */
const reprivatedRecipients = `select rr.organization_id, rr.recognition_id, rr.giver_id,
     rr.recipient_id, rr.amount, rr.created_at, s.private, s.sign
   from old_rows o join new_rows n on n.id = o.id
   cross join lateral (values (o.private, -1), (n.private, 1)) s (private, sign)
   join recognition_recipients rr on rr.recognition_id = n.id
   where o.private is distinct from n.private and ${kept('rr')}`;

const recognitionRows = (rows: string, sign: number) =>
  `select organization_id, id, company_values, created_at, ${sign}
   from ${rows} t where not exists (select 1 from recognition_reversals v
     where v.recognition_id = t.id)`;

const reversedRecognitions = (rows: string, sign: number) =>
  `select r.organization_id, r.id, r.company_values, r.created_at, ${sign}
   from ${rows} t join recognitions r on r.id = t.recognition_id`;

/** Moves with their local day: the body of `with d as (…)`. */
const withDay = (moves: string, columns: string) => `
  with m (${columns}) as (${moves}),
  d as (
    select m.*, (m.created_at at time zone o.timezone)::date as day
    from m join organizations o on o.id = m.organization_id
  )`;

/** Adds recipient moves to the organization, person and pair rows. */
const countRecipients = (moves: string) => `${withDay(moves, RECIPIENT_COLUMNS)},
  days as (
    insert into kudos_days as t (organization_id, day, slot, kudos, points)
    select organization_id, day, ${SLOT}, sum(sign), sum(sign * amount) from d
    group by 1, 2, 3 order by 1, 2, 3
    on conflict (organization_id, day, slot) do update
      set kudos = t.kudos + excluded.kudos, points = t.points + excluded.points
  ),
  people as (
    insert into kudos_member_days as t (organization_id, day, member_id, private, given,
      given_points, received, received_points, last_received_at)
    select organization_id, day, member_id, private, sum(given), sum(given_points),
      sum(received), sum(received_points), max(received_at)
    from (
      select organization_id, day, giver_id as member_id, private, sign as given,
        sign * amount as given_points, 0 as received, 0 as received_points,
        null::timestamptz as received_at
      from d
      union all
      select organization_id, day, recipient_id, private, 0, 0, sign, sign * amount,
        case when sign > 0 then created_at end
      from d
    ) sides
    group by 1, 2, 3, 4 order by 1, 2, 3, 4
    on conflict (organization_id, day, member_id, private) do update
      set given = t.given + excluded.given, given_points = t.given_points + excluded.given_points,
        received = t.received + excluded.received,
        received_points = t.received_points + excluded.received_points,
        last_received_at = greatest(t.last_received_at, excluded.last_received_at)
  )
  insert into kudos_pair_days as t (organization_id, day, giver_id, recipient_id, private, kudos)
  select organization_id, day, giver_id, recipient_id, private, sum(sign) from d
  group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5
  on conflict (organization_id, day, giver_id, recipient_id, private) do update
    set kudos = t.kudos + excluded.kudos`;

/**
 * After moves that took kudos off: each recipient's last kudos received that day is read
 * again from the kudos kept, and rows left at zero are removed.
 */
const tidyRecipients = (moves: string) => [
  `${withDay(moves, RECIPIENT_COLUMNS)}
  update kudos_member_days t set last_received_at = (
    select max(rr.created_at) from recognition_recipients rr
    join recognitions r on r.id = rr.recognition_id
    where rr.organization_id = t.organization_id and rr.recipient_id = t.member_id
      and rr.created_at >= (t.day::timestamp at time zone o.timezone)
      and rr.created_at < ((t.day + 1)::timestamp at time zone o.timezone)
      and r.private = t.private and ${kept('rr')})
  from (select distinct organization_id, day, recipient_id, private from d where sign < 0) k
  join organizations o on o.id = k.organization_id
  where t.organization_id = k.organization_id and t.day = k.day and t.member_id = k.recipient_id
    and t.private = k.private`,
  `${withDay(moves, RECIPIENT_COLUMNS)}
  delete from kudos_member_days t
  using (select organization_id, day, giver_id as member_id, private from d
    union select organization_id, day, recipient_id, private from d) k
  where t.organization_id = k.organization_id and t.day = k.day and t.member_id = k.member_id
    and t.private = k.private and t.given = 0 and t.received = 0`,
  `${withDay(moves, RECIPIENT_COLUMNS)}
  delete from kudos_pair_days t
  using (select distinct organization_id, day, giver_id, recipient_id, private from d) k
  where t.organization_id = k.organization_id and t.day = k.day and t.giver_id = k.giver_id
    and t.recipient_id = k.recipient_id and t.private = k.private and t.kudos = 0`,
  `${withDay(moves, RECIPIENT_COLUMNS)}
  delete from kudos_days t using (select distinct organization_id, day from d) k
  where t.organization_id = k.organization_id and t.day = k.day
    and t.recognitions = 0 and t.kudos = 0`,
];

/** Adds recognition moves to the organization's and its values' rows. */
const countRecognitions = (moves: string) => `${withDay(moves, RECOGNITION_COLUMNS)},
  days as (
    insert into kudos_days as t (organization_id, day, slot, recognitions)
    select organization_id, day, ${SLOT}, sum(sign) from d group by 1, 2, 3 order by 1, 2, 3
    on conflict (organization_id, day, slot) do update
      set recognitions = t.recognitions + excluded.recognitions
  )
  insert into kudos_value_days as t (organization_id, day, slot, value, recognitions)
  select d.organization_id, d.day, d.recognition_id % ${SLOTS}, v.value, sum(d.sign)
  from d cross join lateral unnest(d.company_values) as v(value)
  group by 1, 2, 3, 4 order by 1, 2, 3, 4
  on conflict (organization_id, day, slot, value) do update
    set recognitions = t.recognitions + excluded.recognitions`;

const tidyRecognitions = (moves: string) => [
  `${withDay(moves, RECOGNITION_COLUMNS)}
  delete from kudos_value_days t
  using (select distinct organization_id, day from d) k
  where t.organization_id = k.organization_id and t.day = k.day and t.recognitions = 0`,
  `${withDay(moves, RECOGNITION_COLUMNS)}
  delete from kudos_days t using (select distinct organization_id, day from d) k
  where t.organization_id = k.organization_id and t.day = k.day
    and t.recognitions = 0 and t.kudos = 0`,
];

/** A plpgsql body running the statements, for a statement-level trigger. */
const body = (statements: string[]) =>
  `begin\n${statements.map((statement) => `${statement};`).join('\n')}\nreturn null;\nend`;

interface Counted {
  readonly table: string;
  readonly event: 'insert' | 'update' | 'delete';
  readonly statements: string[];
}

const union = (...parts: string[]) => parts.join('\nunion all\n');

const TRIGGERS: Counted[] = [
  {
    table: 'recognition_recipients',
    event: 'insert',
    statements: [countRecipients(recipientRows('new_rows', 1))],
  },
  {
    table: 'recognition_recipients',
    event: 'update',
    statements: [
      countRecipients(union(recipientRows('old_rows', -1), recipientRows('new_rows', 1))),
      ...tidyRecipients(union(recipientRows('old_rows', -1), recipientRows('new_rows', 1))),
    ],
  },
  {
    table: 'recognition_recipients',
    event: 'delete',
    statements: [
      countRecipients(recipientRows('old_rows', -1)),
      ...tidyRecipients(recipientRows('old_rows', -1)),
    ],
  },
  {
    table: 'recognitions',
    event: 'insert',
    statements: [countRecognitions(recognitionRows('new_rows', 1))],
  },
  {
    table: 'recognitions',
    event: 'update',
    statements: [
      countRecognitions(union(recognitionRows('old_rows', -1), recognitionRows('new_rows', 1))),
      ...tidyRecognitions(union(recognitionRows('old_rows', -1), recognitionRows('new_rows', 1))),
      countRecipients(reprivatedRecipients),
      ...tidyRecipients(reprivatedRecipients),
    ],
  },
  {
    table: 'recognitions',
    event: 'delete',
    statements: [
      countRecognitions(recognitionRows('old_rows', -1)),
      ...tidyRecognitions(recognitionRows('old_rows', -1)),
    ],
  },
  {
    table: 'recognition_reversals',
    event: 'insert',
    statements: [
      countRecipients(reversedRecipients('new_rows', -1)),
      ...tidyRecipients(reversedRecipients('new_rows', -1)),
      countRecognitions(reversedRecognitions('new_rows', -1)),
      ...tidyRecognitions(reversedRecognitions('new_rows', -1)),
    ],
  },
  {
    table: 'recognition_reversals',
    event: 'update',
    statements: [
      countRecipients(union(reversedRecipients('old_rows', 1), reversedRecipients('new_rows', -1))),
      ...tidyRecipients(
        union(reversedRecipients('old_rows', 1), reversedRecipients('new_rows', -1)),
      ),
      countRecognitions(
        union(reversedRecognitions('old_rows', 1), reversedRecognitions('new_rows', -1)),
      ),
      ...tidyRecognitions(
        union(reversedRecognitions('old_rows', 1), reversedRecognitions('new_rows', -1)),
      ),
    ],
  },
  {
    table: 'recognition_reversals',
    event: 'delete',
    statements: [
      countRecipients(reversedRecipients('old_rows', 1)),
      countRecognitions(reversedRecognitions('old_rows', 1)),
    ],
  },
];

const triggerName = ({ table, event }: Counted) => `${table}_${event}_counts_kudos`;

/** Every kept kudos and recognition of one organization, counted from nothing. */
const RECOUNT = body([
  'delete from kudos_days where organization_id = recount',
  'delete from kudos_value_days where organization_id = recount',
  'delete from kudos_member_days where organization_id = recount',
  'delete from kudos_pair_days where organization_id = recount',
  countRecipients(
    `select t.organization_id, t.recognition_id, t.giver_id, t.recipient_id, t.amount,
       t.created_at, r.private, 1
     from recognition_recipients t join recognitions r on r.id = t.recognition_id
     where t.organization_id = recount and ${kept('t')}`,
  ),
  countRecognitions(
    `select organization_id, id, company_values, created_at, 1
     from recognitions t where organization_id = recount and not exists (
       select 1 from recognition_reversals v where v.recognition_id = t.id)`,
  ),
]).replace('return null;', 'return;');

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table kudos_days (
      organization_id bigint not null references organizations (id),
      day date not null,
      slot smallint not null,
      recognitions integer not null default 0,
      kudos integer not null default 0,
      points bigint not null default 0,
      primary key (organization_id, day, slot)
    )`.execute(db);
  await sql`
    create table kudos_value_days (
      organization_id bigint not null references organizations (id),
      day date not null,
      slot smallint not null,
      value text not null,
      recognitions integer not null,
      primary key (organization_id, day, slot, value)
    )`.execute(db);
  await sql`
    create table kudos_member_days (
      organization_id bigint not null references organizations (id),
      day date not null,
      member_id bigint not null,
      private boolean not null,
      given integer not null,
      given_points bigint not null,
      received integer not null,
      received_points bigint not null,
      last_received_at timestamptz,
      primary key (organization_id, day, member_id, private)
    )`.execute(db);
  // The quiet list: each person's newest day with a public kudos received.
  await sql`
    create index kudos_member_days_received on kudos_member_days
      (organization_id, member_id, day desc) include (last_received_at)
      where received > 0 and not private`.execute(db);
  await sql`
    create table kudos_pair_days (
      organization_id bigint not null references organizations (id),
      day date not null,
      giver_id bigint not null,
      recipient_id bigint not null,
      private boolean not null,
      kudos integer not null,
      primary key (organization_id, day, giver_id, recipient_id, private)
    )`.execute(db);

  await sql
    .raw(`create function kudos_recount(recount bigint) returns void language plpgsql as $$
${RECOUNT}
$$`)
    .execute(db);
  for (const trigger of TRIGGERS) {
    const name = triggerName(trigger);
    const rows = trigger.event === 'insert' ? 'new table as new_rows' : 'old table as old_rows';
    const both = trigger.event === 'update' ? 'old table as old_rows new table as new_rows' : rows;
    await sql
      .raw(`create function ${name}() returns trigger language plpgsql as $$
${body(trigger.statements)}
$$`)
      .execute(db);
    await sql
      .raw(`create trigger ${name} after ${trigger.event} on ${trigger.table}
        referencing ${both} for each statement execute function ${name}()`)
      .execute(db);
  }
  await sql`
    create function organizations_recount_kudos() returns trigger language plpgsql as $$
    begin
      perform kudos_recount(new.id);
      return null;
    end $$`.execute(db);
  await sql`
    create trigger organizations_recount_kudos after update of timezone on organizations
      for each row when (old.timezone is distinct from new.timezone)
      execute function organizations_recount_kudos()`.execute(db);

  await sql`select kudos_recount(id) from organizations`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger organizations_recount_kudos on organizations`.execute(db);
  await sql`drop function organizations_recount_kudos()`.execute(db);
  for (const trigger of TRIGGERS) {
    await sql.raw(`drop trigger ${triggerName(trigger)} on ${trigger.table}`).execute(db);
    await sql.raw(`drop function ${triggerName(trigger)}()`).execute(db);
  }
  await sql`drop function kudos_recount(bigint)`.execute(db);
  await sql`drop table kudos_pair_days, kudos_member_days, kudos_value_days, kudos_days`.execute(
    db,
  );
}

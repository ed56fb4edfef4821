import { type Kysely, sql } from 'kysely';

/**
 * Boosts: a colleague adds points from their own allowance to someone else's kudos, as a
 * recognition of its own linked to the one it boosts (`boost_of`). One boost per kudos
 * per person, kept by a unique index so that two clicks at once cannot both record one.
 * Organizations may turn boosts off (on by default: a boost is only ever a colleague's
 * choice to spend their own allowance).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table recognition_settings
      add column boosts_allowed boolean not null default true`.execute(db);
  await sql`
    alter table recognitions
      add column boost_of bigint references recognitions (id),
      add constraint recognitions_boost_not_itself check (boost_of <> id)`.execute(db);
  await sql`
    create unique index recognitions_one_boost_per_giver
      on recognitions (boost_of, giver_id) where boost_of is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index recognitions_one_boost_per_giver`.execute(db);
  await sql`
    alter table recognitions
      drop constraint recognitions_boost_not_itself,
      drop column boost_of`.execute(db);
  await sql`alter table recognition_settings drop column boosts_allowed`.execute(db);
}

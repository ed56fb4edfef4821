import { type Kysely, sql } from 'kysely';

/**
 * The longest reason a kudos may give, per organization. A reason had no bound: a 1 MB
 * one was stored, then posted as a 1 MB direct message and a 2 MB celebration. 1,000
 * characters by default; at most 2,000, what Slack's give modal takes, so a celebration
 * (one Slack section of at most 3,000 characters, the reason quoted in it) has room.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table recognition_settings
      add column max_reason_length integer not null default 1000
        check (max_reason_length between 1 and 2000),
      add constraint recognition_settings_reason_lengths
        check (min_reason_length <= max_reason_length)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table recognition_settings
      drop constraint recognition_settings_reason_lengths,
      drop column max_reason_length`.execute(db);
}

import { type Kysely, sql } from 'kysely';

/**
 * Private kudos: a recognition may be private (the recipients are told in a direct
 * message, nothing is celebrated in a channel, and the public feeds, leaderboards and the
 * insights' people-level views leave it out, while totals and the audit log keep it). The
 * flag is on the recognition itself so that every reader can filter on it; existing
 * recognitions were all public. Admins choose whether private kudos are allowed: allowed
 * by default, since a private kudos moves points under the same policy, caps and
 * allowance as any other and admins still see each one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table recognitions add column private boolean not null default false`.execute(db);
  await sql`
    alter table recognition_settings
      add column private_kudos_allowed boolean not null default true`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table recognition_settings drop column private_kudos_allowed`.execute(db);
  await sql`alter table recognitions drop column private`.execute(db);
}

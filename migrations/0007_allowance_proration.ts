import { type Kysely, sql } from 'kysely';

/** Whether a member who joins mid-period gets a share of the period's allowance, by time left. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table recognition_settings
    add column prorate_new_members boolean not null default false`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table recognition_settings drop column prorate_new_members`.execute(db);
}

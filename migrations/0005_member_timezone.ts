import { type Kysely, sql } from 'kysely';

/** A member's own time zone, as their chat platform reports it (Slack's `tz`). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table members add column timezone text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table members drop column timezone`.execute(db);
}

import { type Kysely, sql } from 'kysely';

/**
 * Reactions as kudos: the emoji an organization names give points when someone reacts
 * with them to a colleague's message (none by default, so nothing changes until an admin
 * names one), and how many minutes a removed reaction still takes its points back.
 * Emoji are stored by their Slack short name, without colons (`taco`), each with its
 * points; the application checks the names and amounts, the database keeps the shape.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table recognition_settings
      add column reaction_points jsonb not null default '{}'::jsonb
        check (jsonb_typeof(reaction_points) = 'object'),
      add column reaction_grace_minutes integer not null default 10
        check (reaction_grace_minutes between 0 and 1440)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table recognition_settings
      drop column reaction_grace_minutes,
      drop column reaction_points`.execute(db);
}

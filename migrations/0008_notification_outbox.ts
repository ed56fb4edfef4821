import { type Kysely, sql } from 'kysely';

/**
 * Recognitions whose notifications (celebration, personal messages) are still to be handed
 * to the job queue. Written in the same statement as the recognition, so a notification is
 * never lost when Redis is away: the row waits until the queue takes it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table notification_outbox (
      recognition_id bigint primary key references recognitions (id),
      organization_id bigint not null references organizations (id),
      -- the platform the kudos was given on, and what every platform needs to announce it
      origin text not null check (origin in ('slack', 'teams', 'local')),
      event jsonb not null,
      created_at timestamptz not null default now(),
      queued_at timestamptz
    )`.execute(db);
  await sql`
    create index notification_outbox_waiting on notification_outbox (recognition_id)
    where queued_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table notification_outbox`.execute(db);
}

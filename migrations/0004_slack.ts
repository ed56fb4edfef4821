import { type Kysely, sql } from 'kysely';

/** Slack workspaces connected to Plaudit: each belongs to one organization. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table slack_workspaces (
      team_id text primary key,
      enterprise_id text,
      organization_id bigint not null references organizations (id),
      bot_user_id text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index slack_workspaces_organization on slack_workspaces (organization_id)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table slack_workspaces`.execute(db);
}

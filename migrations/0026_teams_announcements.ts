import { type Kysely, sql } from 'kysely';

/**
 * Teams' side of the announcement channel, and the celebration posts Teams reactions
 * point at.
 *
 * - `teams_announcement_channels`: the one Teams channel (or group chat) per organization
 *   where celebrations of kudos given in Teams are posted, chosen by an admin typing
 *   `announce here` in it. Teams names a channel by an opaque id, so the choice is made
 *   where it applies and kept with its conversation reference (where and as whom to post)
 *   and its team (so the bot leaving the team stops the posts). The row is deleted when
 *   the admin turns it off or the bot can no longer post there.
 * - `teams_celebration_posts`: each celebration the bot posted in Teams, by the message
 *   id the Bot Connector gave it. Teams tells a bot of reactions only to its own messages
 *   and names the message by that id alone, so this is how a reaction finds its kudos.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table teams_announcement_channels (
      organization_id bigint primary key references organizations (id),
      tenant_id text not null references teams_tenants (tenant_id),
      conversation_id text not null,
      team_id text,
      reference jsonb not null,
      chosen_by_member_id bigint not null,
      chosen_at timestamptz not null default now(),
      foreign key (organization_id, chosen_by_member_id) references members (organization_id, id)
    )`.execute(db);
  await sql`
    create table teams_celebration_posts (
      organization_id bigint not null references organizations (id),
      conversation_id text not null,
      activity_id text not null,
      recognition_id bigint not null references recognitions (id),
      posted_at timestamptz not null default now(),
      primary key (organization_id, conversation_id, activity_id)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table teams_celebration_posts`.execute(db);
  await sql`drop table teams_announcement_channels`.execute(db);
}

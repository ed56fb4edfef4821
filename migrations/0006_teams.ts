import { type Kysely, sql } from 'kysely';

/**
 * Microsoft Teams: the tenants connected to an organization, the Teams user ids (`29:…`,
 * what mentions carry) of each Azure AD user, and the conversation references the bot
 * keeps to message people and channels proactively.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table teams_tenants (
      tenant_id text primary key,
      organization_id bigint not null references organizations (id),
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index teams_tenants_organization on teams_tenants (organization_id)`.execute(db);
  await sql`
    create table teams_users (
      tenant_id text not null references teams_tenants (tenant_id),
      user_id text not null,
      aad_object_id text not null check (aad_object_id = lower(aad_object_id)),
      primary key (tenant_id, user_id)
    )`.execute(db);
  await sql`create index teams_users_aad on teams_users (tenant_id, aad_object_id)`.execute(db);
  await sql`
    create table teams_conversations (
      organization_id bigint not null references organizations (id),
      tenant_id text not null references teams_tenants (tenant_id),
      conversation_id text not null,
      kind text not null check (kind in ('personal', 'groupChat', 'channel')),
      member_id bigint,
      reference jsonb not null,
      updated_at timestamptz not null default now(),
      primary key (organization_id, conversation_id),
      foreign key (organization_id, member_id) references members (organization_id, id),
      check ((kind = 'personal') = (member_id is not null))
    )`.execute(db);
  await sql`
    create index teams_conversations_tenant on teams_conversations (organization_id, tenant_id, updated_at desc)`.execute(
    db,
  );
  await sql`
    create index teams_conversations_member on teams_conversations (member_id, updated_at desc)
    where kind = 'personal'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table teams_conversations`.execute(db);
  await sql`drop table teams_users`.execute(db);
  await sql`drop table teams_tenants`.execute(db);
}

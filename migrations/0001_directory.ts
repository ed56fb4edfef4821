import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table organizations (
      id bigint generated always as identity primary key,
      name text not null check (length(btrim(name)) between 1 and 200),
      timezone text not null,
      currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table members (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      display_name text not null check (length(btrim(display_name)) between 1 and 200),
      email text check (email is null or email = lower(email)),
      roles text[] not null default '{member}'
        check (cardinality(roles) > 0 and roles <@ array['member', 'admin', 'hr']::text[]),
      status text not null default 'active' check (status in ('active', 'deactivated')),
      is_guest boolean not null default false,
      is_bot boolean not null default false,
      created_at timestamptz not null default now(),
      unique (organization_id, id)
    )`.execute(db);
  await sql`
    create unique index members_email_per_organization
      on members (organization_id, email) where email is not null`.execute(db);

  await sql`
    create table platform_identities (
      platform text not null check (platform in ('slack', 'teams', 'local')),
      tenant_id text not null,
      user_id text not null,
      organization_id bigint not null,
      member_id bigint not null,
      created_at timestamptz not null default now(),
      primary key (platform, tenant_id, user_id),
      foreign key (organization_id, member_id) references members (organization_id, id)
    )`.execute(db);
  await sql`create index platform_identities_member on platform_identities (member_id)`.execute(db);

  await sql`
    create table groups (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      name text not null check (length(btrim(name)) between 1 and 200),
      created_at timestamptz not null default now(),
      unique (organization_id, name),
      unique (organization_id, id)
    )`.execute(db);

  await sql`
    create table group_members (
      organization_id bigint not null,
      group_id bigint not null,
      member_id bigint not null,
      primary key (group_id, member_id),
      foreign key (organization_id, group_id) references groups (organization_id, id),
      foreign key (organization_id, member_id) references members (organization_id, id)
    )`.execute(db);
  await sql`create index group_members_member on group_members (member_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'group_members',
    'groups',
    'platform_identities',
    'members',
    'organizations',
  ]) {
    await sql`drop table ${sql.table(table)}`.execute(db);
  }
}

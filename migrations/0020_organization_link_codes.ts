import { type Kysely, sql } from 'kysely';

/**
 * One-time codes that link a further Slack workspace or Teams tenant to an organization:
 * an admin of the organization makes one, an admin where the workspace or tenant is runs
 * it there. Only the SHA-256 of a code is kept. A code is used at most once (its `used_at`
 * is set by the transaction that moves the workspace or tenant), and says which it moved
 * and from which organization.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table organization_link_codes (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      created_by_member_id bigint not null,
      code_hash text not null unique,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      used_at timestamptz,
      used_platform text check (used_platform in ('slack', 'teams')),
      used_tenant_id text,
      used_from_organization_id bigint references organizations (id),
      foreign key (organization_id, created_by_member_id) references members (organization_id, id),
      check ((used_at is null) = (used_tenant_id is null)),
      check ((used_at is null) = (used_platform is null)),
      check ((used_at is null) = (used_from_organization_id is null))
    )`.execute(db);
  await sql`
    create index organization_link_codes_by_organization
      on organization_link_codes (organization_id, created_at desc)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table organization_link_codes`.execute(db);
}

import { type Kysely, sql } from 'kysely';

/**
 * Admin: the audit log (append-only, like billing charges), API tokens (only their
 * SHA-256 is kept), groups mirrored from Slack user groups and Teams teams, reversals of
 * recognitions, when a member was deactivated (a leaver may redeem for some days), and
 * the program settings that had no column yet.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table api_tokens (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      name text not null check (length(name) between 1 and 100),
      role text not null check (role in ('admin', 'hr')),
      token_hash text not null unique,
      hint text not null,
      seeded boolean not null default false,
      created_by_member_id bigint,
      created_by_token_id bigint references api_tokens (id),
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz,
      unique (organization_id, id),
      foreign key (organization_id, created_by_member_id) references members (organization_id, id)
    )`.execute(db);
  await sql`create index api_tokens_by_organization on api_tokens (organization_id, id)`.execute(
    db,
  );

  await sql`
    create table audit_log (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      actor_member_id bigint,
      actor_token_id bigint,
      via text not null check (via in ('slack', 'teams', 'local', 'api', 'console', 'system')),
      action text not null,
      target text,
      outcome text not null check (outcome in ('done', 'refused')),
      refusal_code text,
      before jsonb,
      after jsonb,
      created_at timestamptz not null default now(),
      foreign key (organization_id, actor_member_id) references members (organization_id, id),
      foreign key (organization_id, actor_token_id) references api_tokens (organization_id, id)
    )`.execute(db);
  await sql`create index audit_log_by_organization on audit_log (organization_id, id)`.execute(db);
  await sql`
    create function audit_log_append_only() returns trigger
    language plpgsql as $$
    begin
      raise exception 'the audit log is append-only: entry % cannot change', old.id;
    end
    $$`.execute(db);
  await sql`
    create trigger audit_log_append_only
      before update or delete on audit_log
      for each row execute function audit_log_append_only()`.execute(db);

  await sql`
    alter table groups
      add column source text not null default 'manual'
        check (source in ('manual', 'slack', 'teams')),
      add column external_id text,
      add constraint groups_mirrored_once unique (organization_id, source, external_id)`.execute(
    db,
  );

  await sql`
    create table recognition_reversals (
      recognition_id bigint primary key references recognitions (id),
      organization_id bigint not null references organizations (id),
      ledger_request_id bigint not null unique references ledger_requests (id),
      reversed_by_member_id bigint,
      reversed_by_token_id bigint,
      reason text not null,
      created_at timestamptz not null default now(),
      foreign key (organization_id, reversed_by_member_id) references members (organization_id, id),
      foreign key (organization_id, reversed_by_token_id) references api_tokens (organization_id, id)
    )`.execute(db);

  await sql`alter table members add column deactivated_at timestamptz`.execute(db);
  await sql`update members set deactivated_at = now() where status = 'deactivated'`.execute(db);

  await sql`
    alter table recognition_settings
      add column leaver_redeem_days integer not null default 0
        check (leaver_redeem_days between 0 and 3650),
      add column announcement_channel text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table recognition_settings
      drop column leaver_redeem_days,
      drop column announcement_channel`.execute(db);
  await sql`alter table members drop column deactivated_at`.execute(db);
  await sql`drop table recognition_reversals`.execute(db);
  await sql`
    alter table groups
      drop constraint groups_mirrored_once,
      drop column external_id,
      drop column source`.execute(db);
  await sql`drop table audit_log`.execute(db);
  await sql`drop function audit_log_append_only`.execute(db);
  await sql`drop table api_tokens`.execute(db);
}

import { type Kysely, sql } from 'kysely';

/**
 * Slack OAuth installs (Bolt's installation store). A workspace install names its
 * workspace (`team_id`, whose organization `slack_workspaces` keeps: the one map from a
 * workspace to its organization); an Enterprise Grid org-wide install names its enterprise
 * and the organization its workspaces join. Tokens are kept sealed (AES-256-GCM) with the
 * id of the key that sealed them; an uninstalled or revoked installation is disabled (its
 * tokens dropped) and its organization, members and ledger are kept.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table slack_installations (
      id bigserial primary key,
      is_enterprise_install boolean not null,
      team_id text references slack_workspaces (team_id),
      team_name text,
      enterprise_id text,
      enterprise_name text,
      enterprise_url text,
      organization_id bigint references organizations (id),
      app_id text,
      bot_id text,
      bot_user_id text,
      bot_scopes text[] not null default '{}',
      bot_token_expires_at bigint,
      installer_user_id text not null,
      user_scopes text[],
      user_token_expires_at bigint,
      token_type text,
      auth_version text not null default 'v2',
      key_id text,
      sealed_tokens bytea,
      disabled_at timestamptz,
      installed_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint slack_installations_kind check (
        (is_enterprise_install and team_id is null and enterprise_id is not null
          and organization_id is not null)
        or (not is_enterprise_install and team_id is not null and organization_id is null)),
      constraint slack_installations_tokens check (
        (disabled_at is null) = (sealed_tokens is not null and key_id is not null))
    )`.execute(db);
  await sql`
    create unique index slack_installations_workspace on slack_installations (team_id)
      where not is_enterprise_install`.execute(db);
  await sql`
    create unique index slack_installations_enterprise on slack_installations (enterprise_id)
      where is_enterprise_install`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table slack_installations`.execute(db);
}

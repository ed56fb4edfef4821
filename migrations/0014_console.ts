import { type Kysely, sql } from 'kysely';

/**
 * The web console's sign-in: one-time links sent by direct message, and the sessions they
 * open. Only SHA-256 digests of the secrets are stored. A link is used at most once (its
 * `used_at` is set by the one statement that accepts it); a session ends at its expiry or
 * when signed out (`ended_at`). The key that signs the console's cookies and form tokens,
 * made once (unless CONSOLE_SECRET is set), so every web process signs with the same one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table console_sign_in_links (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      member_id bigint not null,
      token_hash text not null unique,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      used_at timestamptz,
      foreign key (organization_id, member_id) references members (organization_id, id)
    )`.execute(db);
  await sql`
    create table console_sessions (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      member_id bigint not null,
      token_hash text not null unique,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      ended_at timestamptz,
      foreign key (organization_id, member_id) references members (organization_id, id)
    )`.execute(db);
  await sql`
    create table console_signing_key (
      id integer primary key check (id = 1),
      key text not null check (length(key) >= 32),
      created_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table console_signing_key`.execute(db);
  await sql`drop table console_sessions`.execute(db);
  await sql`drop table console_sign_in_links`.execute(db);
}

import { type Kysely, sql } from 'kysely';

/**
 * Recognition: each organization's program settings, company values, allowance
 * overrides, and the recognitions themselves (linked to the ledger request that moved
 * their points).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table recognition_settings (
      organization_id bigint primary key references organizations (id),
      allowance_cadence text not null default 'monthly'
        check (allowance_cadence in ('weekly', 'monthly', 'quarterly')),
      allowance_amount integer not null default 100 check (allowance_amount between 0 and 1000000),
      rollover_cap integer not null default 0 check (rollover_cap between 0 and 1000000),
      default_amount integer not null default 10 check (default_amount > 0),
      min_amount integer not null default 1 check (min_amount > 0),
      max_amount integer not null default 100 check (max_amount >= min_amount),
      max_recipients integer not null default 10 check (max_recipients between 1 and 100),
      value_required boolean not null default false,
      min_reason_length integer not null default 0 check (min_reason_length between 0 and 500),
      daily_pair_cap integer check (daily_pair_cap is null or daily_pair_cap > 0),
      guests_may_participate boolean not null default false,
      who_may_give jsonb not null default '{"kind": "everyone"}',
      who_may_receive jsonb not null default '{"kind": "everyone"}',
      check (default_amount between min_amount and max_amount)
    )`.execute(db);

  await sql`
    create table company_values (
      organization_id bigint not null references organizations (id),
      name text not null check (name ~ '^[^\\s#A-Z]+$' and length(name) between 1 and 60),
      description text,
      primary key (organization_id, name)
    )`.execute(db);

  await sql`
    create table allowance_overrides (
      organization_id bigint not null references organizations (id),
      role text check (role in ('member', 'admin', 'hr')),
      member_id bigint,
      amount integer not null check (amount between 0 and 1000000),
      foreign key (organization_id, member_id) references members (organization_id, id),
      check ((role is null) <> (member_id is null)),
      unique nulls not distinct (organization_id, role, member_id)
    )`.execute(db);

  await sql`
    create table recognitions (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      giver_id bigint not null,
      ledger_request_id bigint not null unique references ledger_requests (id),
      amount_each integer not null check (amount_each > 0),
      message text not null,
      company_values text[] not null default '{}',
      platform text not null check (platform in ('slack', 'teams', 'local')),
      channel text,
      created_at timestamptz not null default now(),
      foreign key (organization_id, giver_id) references members (organization_id, id)
    )`.execute(db);
  await sql`create index recognitions_by_time on recognitions (organization_id, created_at)`.execute(
    db,
  );
  await sql`create index recognitions_by_giver on recognitions (giver_id, created_at)`.execute(db);

  await sql`
    create table recognition_recipients (
      recognition_id bigint not null references recognitions (id),
      organization_id bigint not null,
      giver_id bigint not null,
      recipient_id bigint not null,
      amount integer not null check (amount > 0),
      created_at timestamptz not null,
      primary key (recognition_id, recipient_id),
      foreign key (organization_id, recipient_id) references members (organization_id, id)
    )`.execute(db);
  await sql`
    create index recognition_recipients_by_recipient
      on recognition_recipients (recipient_id, created_at)`.execute(db);
  await sql`
    create index recognition_recipients_by_pair
      on recognition_recipients (giver_id, recipient_id, created_at)`.execute(db);
  await sql`
    create index recognition_recipients_by_time
      on recognition_recipients (organization_id, created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table recognition_recipients, recognitions`.execute(db);
  await sql`drop table allowance_overrides, company_values, recognition_settings`.execute(db);
}

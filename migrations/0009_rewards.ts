import { type Kysely, sql } from 'kysely';

/**
 * Rewards: the catalog HR runs, redemptions of earned points, and the billing charges
 * the company pays when a redemption is fulfilled (never when points are given).
 *
 * - reward_settings: the points-to-currency rate for reports, how long a hold may wait,
 *   and an optional monthly budget, per organization.
 * - reward_items: retired items stay, for the redemptions and charges that name them.
 * - redemptions: one per request; its points are held by a pending ledger transfer and its
 *   price and currency are copied from the item when requested. Its status leaves `held`
 *   once, to fulfilled, rejected, cancelled or expired.
 * - billing_charges: exactly one per fulfilled redemption (unique), append-only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table reward_settings (
      organization_id bigint primary key references organizations (id),
      -- thousandths of a minor currency unit one point is worth (1000: a point is a cent),
      -- for the liability figure
      point_value_milli bigint not null default 1000 check (point_value_milli >= 0),
      hold_hours integer not null default 336 check (hold_hours between 1 and 8760),
      monthly_budget_minor bigint check (monthly_budget_minor is null or monthly_budget_minor >= 0)
    )`.execute(db);

  await sql`
    create table reward_items (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      name text not null check (length(btrim(name)) between 1 and 120),
      description text not null default '' check (length(description) <= 2000),
      points_cost integer not null check (points_cost > 0),
      price_minor bigint not null check (price_minor >= 0),
      -- null: unlimited
      stock integer check (stock is null or stock >= 0),
      active boolean not null default true,
      fulfilment text not null check (fulfilment in ('manual', 'webhook')),
      webhook_url text check (webhook_url is null or webhook_url ~ '^https?://'),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      retired_at timestamptz,
      check ((fulfilment = 'webhook') = (webhook_url is not null)),
      check (retired_at is null or not active),
      unique (organization_id, id)
    )`.execute(db);
  await sql`
    create unique index reward_items_name on reward_items (organization_id, lower(name))
    where retired_at is null`.execute(db);

  await sql`
    create table redemptions (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      item_id bigint not null,
      member_id bigint not null,
      requested_by bigint not null,
      request_key text not null check (length(request_key) between 1 and 300),
      -- fulfilling: a worker is delivering it to the company's webhook (the webhook may
      -- already have it), so only fulfilment may end it
      status text not null default 'held'
        check (status in ('held', 'fulfilling', 'fulfilled', 'rejected', 'cancelled', 'expired')),
      points integer not null check (points > 0),
      price_minor bigint not null check (price_minor >= 0),
      currency char(3) not null,
      fulfilment text not null check (fulfilment in ('manual', 'webhook')),
      webhook_url text,
      hold_transfer_id bigint not null unique references ledger_transfers (id),
      requested_at timestamptz not null default now(),
      expires_at timestamptz not null,
      fulfilling_since timestamptz,
      resolved_at timestamptz,
      resolved_by bigint,
      reason text check (reason is null or length(reason) <= 500),
      unique (organization_id, request_key),
      unique (organization_id, id),
      foreign key (organization_id, item_id) references reward_items (organization_id, id),
      foreign key (organization_id, member_id) references members (organization_id, id),
      foreign key (organization_id, requested_by) references members (organization_id, id),
      foreign key (organization_id, resolved_by) references members (organization_id, id),
      check ((status in ('held', 'fulfilling')) = (resolved_at is null)),
      check ((status = 'fulfilling') = (fulfilling_since is not null))
    )`.execute(db);
  await sql`create index redemptions_by_member on redemptions (member_id, requested_at)`.execute(
    db,
  );
  await sql`
    create index redemptions_held on redemptions (organization_id, expires_at)
    where status in ('held', 'fulfilling')`.execute(db);

  await sql`
    create table billing_charges (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      redemption_id bigint not null unique,
      item_id bigint not null,
      member_id bigint not null,
      amount_minor bigint not null check (amount_minor >= 0),
      currency char(3) not null,
      charged_at timestamptz not null default now(),
      foreign key (organization_id, redemption_id) references redemptions (organization_id, id),
      foreign key (organization_id, item_id) references reward_items (organization_id, id)
    )`.execute(db);
  await sql`create index billing_charges_by_time on billing_charges (organization_id, charged_at)`.execute(
    db,
  );
  await sql`
    create function billing_charges_append_only() returns trigger
    language plpgsql as $$
    begin
      raise exception 'billing charges are append-only: % cannot change', old.id;
    end
    $$`.execute(db);
  await sql`
    create trigger billing_charges_append_only
      before update or delete on billing_charges
      for each row execute function billing_charges_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table billing_charges`.execute(db);
  await sql`drop function billing_charges_append_only`.execute(db);
  await sql`drop table redemptions, reward_items, reward_settings`.execute(db);
}

import { type Kysely, sql } from 'kysely';

/**
 * The double-entry points ledger (DESIGN.md "The ledger").
 *
 * - ledger_accounts: one row per account; immutable and never deleted.
 * - ledger_balances: a limited account's posted and pending totals (a member's allowance
 *   or earned points, the redemption hold), locked by every write that touches it, with a
 *   CHECK that its debits never exceed its credits. The organization's unlimited accounts
 *   (issuance, allowance pool, spent, expired, redeemed) are touched by every give in the
 *   company; keeping a row for them would queue all gives behind it, so they have none and
 *   their balances are derived from their transfers (an index covers the sums).
 * - ledger_requests: one row per idempotency key, with a hash of the request; its
 *   transfers (or the pending transfer it resolved) are its first result, for replays.
 * - ledger_transfers: append-only; only a pending transfer's status may change, once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table ledger_accounts (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      asset text not null check (asset in ('allowance', 'points')),
      code text not null check (code in (
        'allowance_pool', 'allowance', 'allowance_spent', 'allowance_expired',
        'issuance', 'earned', 'redemption_hold', 'redeemed')),
      member_id bigint,
      debits_must_not_exceed_credits boolean not null,
      created_at timestamptz not null default now(),
      foreign key (organization_id, member_id) references members (organization_id, id),
      check ((code in ('allowance', 'earned')) = (member_id is not null)),
      check (asset = case when code like 'allowance%' then 'allowance' else 'points' end),
      unique nulls not distinct (organization_id, asset, code, member_id)
    )`.execute(db);

  await sql`
    create table ledger_balances (
      account_id bigint primary key references ledger_accounts (id),
      debits_must_not_exceed_credits boolean not null check (debits_must_not_exceed_credits),
      debits_posted bigint not null default 0,
      credits_posted bigint not null default 0,
      debits_pending bigint not null default 0,
      credits_pending bigint not null default 0,
      constraint debits_must_not_exceed_credits check (
        not debits_must_not_exceed_credits or debits_posted + debits_pending <= credits_posted)
    )`.execute(db);

  await sql`
    create table ledger_requests (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      idempotency_key text not null check (length(idempotency_key) between 1 and 300),
      request_hash text not null,
      operation text not null check (operation in ('transfer', 'post', 'void', 'reverse')),
      -- the pending transfer a post or void resolves (a refused one is rolled back, so a
      -- stored request names a transfer that exists)
      transfer_id bigint,
      created_at timestamptz not null default now(),
      unique (organization_id, idempotency_key)
    )`.execute(db);

  await sql`
    create table ledger_transfers (
      id bigint generated always as identity primary key,
      organization_id bigint not null references organizations (id),
      request_id bigint not null references ledger_requests (id),
      asset text not null check (asset in ('allowance', 'points')),
      debit_account_id bigint not null references ledger_accounts (id),
      credit_account_id bigint not null references ledger_accounts (id),
      amount bigint not null check (amount > 0 and amount <= 9007199254740991),
      kind text not null check (kind in (
        'allowance_grant', 'allowance_expire', 'kudos', 'redemption', 'adjustment', 'reversal')),
      status text not null check (status in ('posted', 'pending', 'posted_from_pending', 'voided')),
      reverses_transfer_id bigint unique references ledger_transfers (id),
      memo text check (memo is null or length(memo) <= 2000),
      created_at timestamptz not null default now(),
      resolved_at timestamptz,
      check (debit_account_id <> credit_account_id),
      check ((status in ('posted', 'pending')) = (resolved_at is null))
    )`.execute(db);
  await sql`create index ledger_transfers_request on ledger_transfers (request_id)`.execute(db);
  await sql`create index ledger_transfers_debit on ledger_transfers (debit_account_id)`.execute(db);
  await sql`create index ledger_transfers_credit on ledger_transfers (credit_account_id)`.execute(
    db,
  );

  // Append-only: no delete, and the only update is a pending transfer's single resolution.
  await sql`
    create function ledger_transfers_append_only() returns trigger
    language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        raise exception 'ledger transfers are append-only: % cannot be deleted', old.id;
      end if;
      if old.status <> 'pending'
         or new.status not in ('posted_from_pending', 'voided')
         or (to_jsonb(new) - 'status' - 'resolved_at') <> (to_jsonb(old) - 'status' - 'resolved_at')
      then
        raise exception 'ledger transfers are append-only: % may not change', old.id;
      end if;
      return new;
    end
    $$`.execute(db);
  await sql`
    create trigger ledger_transfers_append_only
      before update or delete on ledger_transfers
      for each row execute function ledger_transfers_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table ledger_transfers, ledger_requests`.execute(db);
  await sql`drop function ledger_transfers_append_only`.execute(db);
  await sql`drop table ledger_balances, ledger_accounts`.execute(db);
}

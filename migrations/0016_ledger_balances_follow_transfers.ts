import { type Kysely, sql } from 'kysely';

/**
 * The database moves the balance rows with the transfers, so no write path can append a
 * transfer without them (a hand-written insert of a 999,999-point debit from an account
 * holding 40 used to be accepted, leaving the balance row and the transfers apart):
 *
 * - after each statement that inserts transfers or resolves pending ones, a trigger adds
 *   the statement's net movement per limited account to its balance row, locking the rows
 *   in ascending account order as every ledger write does (so writers never deadlock on
 *   them); the CHECK `debits_must_not_exceed_credits` refuses an overdraft, and a limited
 *   account without a balance row is refused too. Unlimited accounts (the organization's
 *   hot ones) have no row and are not touched, so no give waits on another's;
 * - balance rows change only so: an UPDATE or DELETE made by anything but that trigger, an
 *   INSERT of a row that does not start at zero, and a TRUNCATE are refused. Transfers
 *   refuse TRUNCATE too (their row trigger, 0002, refuses edits and deletes).
 *
 * Allowance period openings, made by the reset job and by a member's first give alike,
 * now store the request hash every ledger request uses (src/ledger/request-hash.ts:
 * sha256 of the canonical JSON of the operation and its payload, base64url), so that a
 * replay of an opening is told from a different request under its key. The openings made
 * before (the job's 'allowance-period:{grant}', a give's hash of its transfers) are given
 * it here.
 *
 * The results of the scheduled ledger verification are kept in ledger_verifications, so
 * that every process (web and worker, each answering /metrics) reports the same last one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create type ledger_balance_move as (
      account_id bigint, debits_posted bigint, credits_posted bigint,
      debits_pending bigint, credits_pending bigint)`.execute(db);
  await sql`
    create function ledger_move_balances(moves ledger_balance_move[]) returns void
    language plpgsql as $$
    declare
      net ledger_balance_move[];
      missing bigint;
    begin
      select array_agg(g.n) into net from (
        select row(m.account_id, sum(m.debits_posted), sum(m.credits_posted),
          sum(m.debits_pending), sum(m.credits_pending))::ledger_balance_move as n
        from unnest(moves) m group by m.account_id
      ) g;
      perform 1 from ledger_balances b
      where b.account_id in (select n.account_id from unnest(net) n)
      order by b.account_id
      for update;
      with moved as (
        update ledger_balances b set
          debits_posted = b.debits_posted + n.debits_posted,
          credits_posted = b.credits_posted + n.credits_posted,
          debits_pending = b.debits_pending + n.debits_pending,
          credits_pending = b.credits_pending + n.credits_pending
        from unnest(net) n
        where b.account_id = n.account_id
        returning b.account_id
      )
      select a.id into missing from ledger_accounts a
      where a.id in (select n.account_id from unnest(net) n
          where n.account_id not in (select account_id from moved))
        and a.debits_must_not_exceed_credits
      limit 1;
      if missing is not null then
        raise exception 'ledger account % is limited and has no balance row to move', missing;
      end if;
    end
    $$`.execute(db);
  // A transfer's effect: posted (or posted from pending) moves the posted totals, pending
  // the pending ones, voided nothing. A resolution is its new effect less its old one.
  await sql`
    create function ledger_transfer_moves(sign bigint, debit_account_id bigint,
      credit_account_id bigint, amount bigint, status text) returns setof ledger_balance_move
    language sql immutable as $$
      select * from (values
        (debit_account_id,
          case when status in ('posted', 'posted_from_pending') then sign * amount else 0 end,
          0::bigint, case when status = 'pending' then sign * amount else 0 end, 0::bigint),
        (credit_account_id, 0::bigint,
          case when status in ('posted', 'posted_from_pending') then sign * amount else 0 end,
          0::bigint, case when status = 'pending' then sign * amount else 0 end)
      ) as m
    $$`.execute(db);
  await sql`
    create function ledger_transfers_move_balances() returns trigger
    language plpgsql as $$
    declare
      moves ledger_balance_move[];
    begin
      if tg_op = 'INSERT' then
        select array_agg(m) into moves
        from new_rows t, ledger_transfer_moves(1, t.debit_account_id, t.credit_account_id,
          t.amount, t.status) m;
      else
        select array_agg(m) into moves from (
          select m from new_rows t, ledger_transfer_moves(1, t.debit_account_id,
            t.credit_account_id, t.amount, t.status) m
          union all
          select m from old_rows t, ledger_transfer_moves(-1, t.debit_account_id,
            t.credit_account_id, t.amount, t.status) m
        ) x;
      end if;
      if moves is not null then
        perform ledger_move_balances(moves);
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger ledger_transfers_move_balances_on_insert
      after insert on ledger_transfers referencing new table as new_rows
      for each statement execute function ledger_transfers_move_balances()`.execute(db);
  await sql`
    create trigger ledger_transfers_move_balances_on_update
      after update on ledger_transfers referencing old table as old_rows new table as new_rows
      for each statement execute function ledger_transfers_move_balances()`.execute(db);

  await sql`
    create function ledger_balances_follow_transfers() returns trigger
    language plpgsql as $$
    begin
      -- Depth 1 is a statement on the table itself; the transfers' trigger runs at 2.
      if tg_op in ('DELETE', 'TRUNCATE') or pg_trigger_depth() < 2 then
        raise exception 'ledger balances move only with their transfers: % on ledger_balances refused', tg_op;
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger ledger_balances_follow_transfers
      after update or delete on ledger_balances
      for each statement execute function ledger_balances_follow_transfers()`.execute(db);
  await sql`
    create trigger ledger_balances_no_truncate
      before truncate on ledger_balances
      for each statement execute function ledger_balances_follow_transfers()`.execute(db);
  await sql`
    create trigger ledger_transfers_no_truncate
      before truncate on ledger_transfers
      for each statement execute function append_only_no_truncate()`.execute(db);
  await sql`
    create function ledger_balances_start_at_zero() returns trigger
    language plpgsql as $$
    begin
      if exists (select 1 from new_rows where debits_posted <> 0 or credits_posted <> 0
          or debits_pending <> 0 or credits_pending <> 0) then
        raise exception 'a new ledger balance row starts at zero: its transfers move it';
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger ledger_balances_start_at_zero
      after insert on ledger_balances referencing new table as new_rows
      for each statement execute function ledger_balances_start_at_zero()`.execute(db);

  // requestHash('open_period', { accountId }) of src/ledger/request-hash.ts, in SQL.
  await sql`
    update ledger_requests r
    set request_hash = rtrim(translate(encode(sha256(convert_to(
        '{"operation":"open_period","payload":{"accountId":' || a.id || '}}', 'UTF8')),
        'base64'), '+/', '-_'), '=')
    from ledger_accounts a
    where r.operation = 'transfer'
      and r.idempotency_key ~ '^allowance:[0-9]+:(weekly|monthly|quarterly):[0-9]{4}-[0-9]{2}-[0-9]{2}$'
      and a.organization_id = r.organization_id and a.asset = 'allowance'
      and a.code = 'allowance' and a.member_id = split_part(r.idempotency_key, ':', 2)::bigint`.execute(
    db,
  );

  await sql`
    create table ledger_verifications (
      id bigint generated always as identity primary key,
      started_at timestamptz not null,
      finished_at timestamptz not null,
      organizations integer not null check (organizations >= 0),
      violations integer not null check (violations >= 0),
      -- violations per organization that has any: {"12": 3}
      by_organization jsonb not null default '{}',
      -- the first violations found, one line each, naming the row: [{"organizationId", "line"}]
      sample jsonb not null default '[]'
    )`.execute(db);
  await sql`create index ledger_verifications_finished on ledger_verifications (finished_at)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table ledger_verifications`.execute(db);
  await sql`drop trigger ledger_transfers_no_truncate on ledger_transfers`.execute(db);
  await sql`drop trigger ledger_balances_no_truncate on ledger_balances`.execute(db);
  await sql`drop trigger ledger_balances_start_at_zero on ledger_balances`.execute(db);
  await sql`drop function ledger_balances_start_at_zero`.execute(db);
  await sql`drop trigger ledger_balances_follow_transfers on ledger_balances`.execute(db);
  await sql`drop function ledger_balances_follow_transfers`.execute(db);
  await sql`drop trigger ledger_transfers_move_balances_on_update on ledger_transfers`.execute(db);
  await sql`drop trigger ledger_transfers_move_balances_on_insert on ledger_transfers`.execute(db);
  await sql`drop function ledger_transfers_move_balances`.execute(db);
  await sql`drop function ledger_transfer_moves`.execute(db);
  await sql`drop function ledger_move_balances`.execute(db);
  await sql`drop type ledger_balance_move`.execute(db);
  // The openings keep their new hashes: the code before this compared none of them (the
  // job skipped any claimed key; a give took any conflict for an opening).
}

import { type Kysely, sql } from 'kysely';

/**
 * The database moves the balance rows with the transfers, so no write path can append a
 * transfer without them (a hand-written insert of a 999,999-point debit from an account
 * holding 40 used to be accepted, leaving the balance row and the transfers apart):
 *
 * - after each statement that inserts transfers or resolves pending ones, a trigger adds
 *   the statement's net movement per limited account to its balance row, in one more
 *   statement; the CHECK `debits_must_not_exceed_credits` refuses an overdraft. Unlimited
 *   accounts (the organization's hot ones) have no row and are not touched, so no give
 *   waits on another's. Every ledger write locks the rows it appends transfers for in
 *   ascending account order first (so writers never deadlock on them), and the trigger
 *   does so for a resolution;
 * - balance rows change only so: an UPDATE or DELETE made by anything but that trigger, an
 *   INSERT of a row that does not start at zero or is not a limited account's, and a
 *   TRUNCATE are refused. Transfers refuse TRUNCATE too (their row trigger, 0002, refuses
 *   edits and deletes);
 * - a limited account is created with its balance row, in the same statement, and an
 *   account never changes (0002 said so; now the database refuses it), so every limited
 *   account a transfer moves has a row to move.
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
/** Each transfer side's movement of the transfers a statement appended or resolved to. */
const NEW_MOVES =
  sql.raw(`select debit_account_id as account_id, ledger_posted_amount(status, amount) as dp,
            0::bigint as cp, ledger_pending_amount(status, amount) as dpe, 0::bigint as cpe
          from new_rows
          union all
          select credit_account_id, 0, ledger_posted_amount(status, amount),
            0, ledger_pending_amount(status, amount)
          from new_rows`);

/**
 * The rest of the trigger's statement, after `moves` (one row per transfer side): each
 * account's net movement is added to its balance row. Unlimited accounts have none, and
 * every limited account has one (the triggers on ledger_accounts see to it), so a transfer
 * cannot leave a limited account's row behind.
 */
const MOVE_BALANCES = sql.raw(`net as (
          select account_id, sum(dp) as dp, sum(cp) as cp, sum(dpe) as dpe, sum(cpe) as cpe
          from moves group by account_id
        )
        update ledger_balances b set
          debits_posted = b.debits_posted + n.dp,
          credits_posted = b.credits_posted + n.cp,
          debits_pending = b.debits_pending + n.dpe,
          credits_pending = b.credits_pending + n.cpe
        from net n
        where b.account_id = n.account_id
          -- Index probes for the accounts moved: a join alone was planned as a scan of
          -- every balance row (the planner knows little of a transition table's size).
          and b.account_id = any(array(select account_id from net));`);

export async function up(db: Kysely<unknown>): Promise<void> {
  // A transfer's effect: posted (or posted from pending) moves the posted totals, pending
  // the pending ones, voided nothing. A resolution is its new effect less its old one.
  await sql`
    create function ledger_posted_amount(status text, amount bigint) returns bigint
    language sql immutable
    return case when status in ('posted', 'posted_from_pending') then amount else 0 end`.execute(
    db,
  );
  await sql`
    create function ledger_pending_amount(status text, amount bigint) returns bigint
    language sql immutable
    return case when status = 'pending' then amount else 0 end`.execute(db);
  await sql`
    create function ledger_transfers_move_balances() returns trigger
    language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        -- Appended transfers: their writer locked the rows first, in ascending account
        -- order (every ledger write does), so a give pays for no second lock.
        with moves as (
          ${NEW_MOVES}
        ),
        ${MOVE_BALANCES}
      else
        -- Resolutions lock the rows here, in ascending account order, then move them.
        perform 1 from ledger_balances b
        where b.account_id = any(array(
          select debit_account_id from new_rows union select credit_account_id from new_rows))
        order by b.account_id
        for update;
        with moves as (
          ${NEW_MOVES}
          union all
          select debit_account_id, -ledger_posted_amount(status, amount), 0,
            -ledger_pending_amount(status, amount), 0
          from old_rows
          union all
          select credit_account_id, 0, -ledger_posted_amount(status, amount),
            0, -ledger_pending_amount(status, amount)
          from old_rows
        ),
        ${MOVE_BALANCES}
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
      raise exception 'ledger balances move only with their transfers: % on ledger_balances refused', tg_op;
    end
    $$`.execute(db);
  // Only a statement made inside a trigger (the transfers' one) may update balance rows;
  // the condition costs a give no function call.
  await sql`
    create trigger ledger_balances_follow_transfers
      after update on ledger_balances
      for each statement when (pg_trigger_depth() = 0)
      execute function ledger_balances_follow_transfers()`.execute(db);
  await sql`
    create trigger ledger_balances_no_delete
      after delete on ledger_balances
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
    create function ledger_balances_inserted() returns trigger
    language plpgsql as $$
    begin
      if exists (select 1 from new_rows where debits_posted <> 0 or credits_posted <> 0
          or debits_pending <> 0 or credits_pending <> 0) then
        raise exception 'a new ledger balance row starts at zero: its transfers move it';
      end if;
      if exists (select 1 from new_rows n join ledger_accounts a on a.id = n.account_id
          where not a.debits_must_not_exceed_credits) then
        raise exception 'only a limited ledger account has a balance row';
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger ledger_balances_inserted
      after insert on ledger_balances referencing new table as new_rows
      for each statement execute function ledger_balances_inserted()`.execute(db);

  // Every limited account has its balance row from the start (created in the statement
  // that creates the account), and accounts never change: so the transfers' trigger finds
  // a row for every limited account it moves, without looking accounts up on every give.
  await sql`
    create function ledger_accounts_with_balance_rows() returns trigger
    language plpgsql as $$
    declare
      bare bigint;
    begin
      select a.id into bare from new_accounts a
      where a.debits_must_not_exceed_credits
        and not exists (select 1 from ledger_balances b where b.account_id = a.id)
      limit 1;
      if bare is not null then
        raise exception 'ledger account % is limited: its balance row is created with it, in the same statement', bare;
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger ledger_accounts_with_balance_rows
      after insert on ledger_accounts referencing new table as new_accounts
      for each statement execute function ledger_accounts_with_balance_rows()`.execute(db);
  await sql`
    create function ledger_accounts_never_change() returns trigger
    language plpgsql as $$
    begin
      raise exception 'ledger accounts never change: % on ledger_accounts refused', tg_op;
    end
    $$`.execute(db);
  await sql`
    create trigger ledger_accounts_never_change
      before update or delete or truncate on ledger_accounts
      for each statement execute function ledger_accounts_never_change()`.execute(db);

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
  await sql`drop trigger ledger_accounts_never_change on ledger_accounts`.execute(db);
  await sql`drop function ledger_accounts_never_change`.execute(db);
  await sql`drop trigger ledger_accounts_with_balance_rows on ledger_accounts`.execute(db);
  await sql`drop function ledger_accounts_with_balance_rows`.execute(db);
  await sql`drop trigger ledger_balances_inserted on ledger_balances`.execute(db);
  await sql`drop function ledger_balances_inserted`.execute(db);
  await sql`drop trigger ledger_balances_no_delete on ledger_balances`.execute(db);
  await sql`drop trigger ledger_balances_follow_transfers on ledger_balances`.execute(db);
  await sql`drop function ledger_balances_follow_transfers`.execute(db);
  await sql`drop trigger ledger_transfers_move_balances_on_update on ledger_transfers`.execute(db);
  await sql`drop trigger ledger_transfers_move_balances_on_insert on ledger_transfers`.execute(db);
  await sql`drop function ledger_transfers_move_balances`.execute(db);
  await sql`drop function ledger_pending_amount`.execute(db);
  await sql`drop function ledger_posted_amount`.execute(db);
  // The openings keep their new hashes: the code before this compared none of them (the
  // job skipped any claimed key; a give took any conflict for an opening).
}

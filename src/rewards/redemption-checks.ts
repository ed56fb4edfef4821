import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { type CheckResult, toViolation, type ViolationRow } from '../ledger/ledger-violations.ts';

/**
 * After `accounts` and `r` (the organization's redemptions with their holds and charges):
 * what the hold and redeemed accounts hold, and what the redemptions say they should.
 */
const FIGURES = sql`
    hold as (
      select b.credits_posted - b.debits_posted as posted, b.credits_pending as pending
      from accounts x join ledger_balances b on b.account_id = x.hold_id
    ),
    redeemed as (
      select coalesce(sum(case when t.credit_account_id = x.redeemed_id then t.amount
          else -t.amount end), 0) as posted
      from accounts x join ledger_transfers t
        on (t.credit_account_id = x.redeemed_id or t.debit_account_id = x.redeemed_id)
      where t.status in ('posted', 'posted_from_pending')
    ),
    waiting as (
      select coalesce(sum(points) filter (where status in ('held', 'fulfilling')), 0) as held,
        coalesce(sum(points) filter (where status = 'fulfilled'), 0) as fulfilled,
        count(*) as redemptions
      from r
    )`;

/** One row per thing found wrong, naming its redemption or account. */
const VIOLATIONS = sql`
    violations as (
      select 'hold_status_mismatch' as kind, 'redemptions' as row_table, id as row_id,
        format('%s redemption', status) as subject, format('its hold %s', wanted_hold) as expected,
        format('its hold %s', coalesce(hold_status, 'missing')) as actual
      from r where hold_status is distinct from wanted_hold
      union all
      select 'hold_mismatch', 'redemptions', id, format('%s redemption', status),
        format('a hold of %s points from earned of member %s into redemption_hold',
          points, member_id),
        format('a hold of %s points from %s of member %s into account %s', hold_amount,
          hold_debit_code, hold_debit_member, hold_credit)
      from r, accounts x
      where hold_amount is distinct from points or hold_debit_code is distinct from 'earned'
        or hold_debit_member is distinct from member_id
        or hold_credit is distinct from x.hold_id
      union all
      select 'charge_count', 'redemptions', id, format('%s redemption', status),
        format('%s charges', wanted_charges), format('%s charges', charges)
      from r where charges <> wanted_charges
      union all
      select 'charge_mismatch', 'redemptions', id, format('%s redemption', status),
        'charges at its price, currency, item and member',
        format('%s charges otherwise', wrong_charges)
      from r where wrong_charges > 0
      union all
      select 'redeemed_mismatch', 'ledger_accounts', x.redeemed_id, 'redeemed',
        format('%s points (the fulfilled redemptions)', w.fulfilled),
        format('%s points', d.posted)
      from accounts x, waiting w, redeemed d
      where x.redeemed_id is not null and d.posted <> w.fulfilled
      union all
      select 'redemption_hold_mismatch', 'ledger_accounts', x.hold_id, 'redemption_hold',
        format('%s points pending (the redemptions waiting), 0 posted', w.held),
        format('%s points pending, %s posted', h.pending, h.posted)
      from accounts x, waiting w, hold h
      where h.pending <> w.held or h.posted <> 0
      union all
      select 'redemption_accounts_missing', null, null, 'redemption_hold and redeemed',
        'both accounts', 'not both'
      from accounts x, waiting w
      where w.redemptions > 0 and (x.hold_id is null or x.redeemed_id is null)
    )`;

/**
 * Checks an organization's redemptions against their holds, charges and accounts, in one
 * statement (only the findings come back):
 *
 * - a redemption's hold is pending while it waits (held or being fulfilled), posted once
 *   fulfilled and voided otherwise, and holds exactly its points from its member's earned
 *   account into the redemption hold;
 * - a fulfilled redemption has exactly one billing charge, at the price, currency, item and
 *   member it was asked at, and no other redemption has any;
 * - `redeemed` holds exactly the fulfilled points, and `redemption_hold` exactly the
 *   waiting ones, pending, with nothing posted left on it.
 *
 * Returns the first `limit` violations and how many there are.
 */
export async function checkRedemptions(
  db: Database,
  organizationId: number,
  limit = 100,
): Promise<CheckResult> {
  const { rows } = await sql<{ violations: ViolationRow[] | null; total: number }>`
    with accounts as (
      select
        (select id from ledger_accounts
          where organization_id = ${organizationId} and code = 'redemption_hold') as hold_id,
        (select id from ledger_accounts
          where organization_id = ${organizationId} and code = 'redeemed') as redeemed_id
    ),
    r as materialized (
      select r.id, r.status, r.points, r.member_id, t.status as hold_status,
        t.amount as hold_amount, t.credit_account_id as hold_credit,
        d.code as hold_debit_code, d.member_id as hold_debit_member,
        c.charges, c.wrong_charges,
        case r.status when 'held' then 'pending' when 'fulfilling' then 'pending'
          when 'fulfilled' then 'posted_from_pending' else 'voided' end as wanted_hold,
        case r.status when 'fulfilled' then 1 else 0 end as wanted_charges
      from redemptions r
      left join ledger_transfers t on t.id = r.hold_transfer_id
      left join ledger_accounts d on d.id = t.debit_account_id
      cross join lateral (
        select count(*) as charges,
          count(*) filter (where ch.amount_minor <> r.price_minor or ch.currency <> r.currency
            or ch.item_id <> r.item_id or ch.member_id <> r.member_id) as wrong_charges
        from billing_charges ch where ch.redemption_id = r.id
      ) c
      where r.organization_id = ${organizationId}
    ),
    ${FIGURES},
    ${VIOLATIONS}
    select
      (select json_agg(v) from (
        select * from violations order by kind, row_id limit ${limit}) v) as violations,
      (select count(*) from violations)::int as total`.execute(db);
  const row = rows[0] as { violations: ViolationRow[] | null; total: number };
  return {
    violations: (row.violations ?? []).map((violation) => toViolation(organizationId, violation)),
    total: row.total,
  };
}

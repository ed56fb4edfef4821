import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Asset } from '../db/tables.ts';
import { type CheckResult, toViolation, type ViolationRow } from './ledger-violations.ts';

/** An asset's balances summed over an organization's accounts; both are zero when all is well. */
export interface AssetSum {
  readonly asset: Asset;
  /** Credits less debits, posted. */
  readonly posted: number;
  /** Credits less debits, pending. */
  readonly pending: number;
}

export interface AccountChecks extends CheckResult {
  /** Per asset, in asset order. */
  readonly sums: readonly AssetSum[];
  /** Points the issuance account gave out less points the redeemed account took, posted. */
  readonly issuedLessRedeemed: number;
}

/** An account's four totals from its transfers, in words. */
const TOTALS = sql.raw(
  `format('debits %s posted + %s pending, credits %s posted + %s pending', dp, dpe, cp, cpe)`,
);

/** An account's four totals from its balance row, in words. */
const ROW_TOTALS = sql.raw(
  `format('debits %s posted + %s pending, credits %s posted + %s pending', row_dp, row_dpe, row_cp, row_cpe)`,
);

interface AccountChecksRow {
  sums: AssetSum[] | null;
  violations: ViolationRow[] | null;
  total: number;
  issued_less_redeemed: number;
}

/**
 * After `accounts` (the organization's): each account's totals from its transfers, summed
 * per account in the database, beside its balance row (`per_account`).
 */
const PER_ACCOUNT = sql`
    moved as (
      select t.debit_account_id as account_id,
        sum(t.amount) filter (where t.status in ('posted', 'posted_from_pending')) as dp,
        0 as cp, sum(t.amount) filter (where t.status = 'pending') as dpe, 0 as cpe
      from ledger_transfers t where t.debit_account_id in (select id from accounts)
      group by t.debit_account_id
      union all
      select t.credit_account_id, 0,
        sum(t.amount) filter (where t.status in ('posted', 'posted_from_pending')),
        0, sum(t.amount) filter (where t.status = 'pending')
      from ledger_transfers t where t.credit_account_id in (select id from accounts)
      group by t.credit_account_id
    ),
    totals as (
      select account_id, coalesce(sum(dp), 0) as dp, coalesce(sum(cp), 0) as cp,
        coalesce(sum(dpe), 0) as dpe, coalesce(sum(cpe), 0) as cpe
      from moved group by account_id
    ),
    per_account as materialized (
      select a.id, a.asset, a.limited,
        case when a.member_id is null then a.code
          else format('%s of member %s', a.code, a.member_id) end as subject,
        coalesce(t.dp, 0) as dp, coalesce(t.cp, 0) as cp,
        coalesce(t.dpe, 0) as dpe, coalesce(t.cpe, 0) as cpe,
        b.account_id is not null as has_row,
        b.debits_posted as row_dp, b.credits_posted as row_cp,
        b.debits_pending as row_dpe, b.credits_pending as row_cpe, a.code
      from accounts a
      left join totals t on t.account_id = a.id
      left join ledger_balances b on b.account_id = a.id
    )`;

/** Per asset, balances as the ledger reads them: a limited account's row, an unlimited one's transfers. */
const SUMS = sql`
    sums as (
      select asset,
        sum(case when limited then coalesce(row_cp - row_dp, 0) else cp - dp end) as posted,
        sum(case when limited then coalesce(row_cpe - row_dpe, 0) else cpe - dpe end) as pending
      from per_account group by asset
    )`;

/** One row per thing found wrong, naming its account (or its asset). */
const VIOLATIONS = sql`
    violations as (
      select 'asset_not_zero' as kind, null as row_table, null::bigint as row_id,
        asset as subject, 'posted 0, pending 0' as expected,
        format('posted %s, pending %s', posted, pending) as actual
      from sums where posted <> 0 or pending <> 0
      union all
      select 'balance_row_mismatch', 'ledger_accounts', id, subject,
        format('%s (its transfers)', ${TOTALS}), format('%s (its balance row)', ${ROW_TOTALS})
      from per_account
      where limited and has_row and (row_dp, row_cp, row_dpe, row_cpe) <> (dp, cp, dpe, cpe)
      union all
      select 'balance_row_missing', 'ledger_accounts', id, subject,
        format('a balance row of %s', ${TOTALS}), 'none'
      from per_account where limited and not has_row
      union all
      select 'balance_row_unexpected', 'ledger_accounts', id, subject,
        'no balance row (an unlimited account)', format('a balance row of %s', ${ROW_TOTALS})
      from per_account where not limited and has_row
      union all
      select 'limited_account_negative', 'ledger_accounts', id, subject,
        'at least 0 available by its transfers',
        format('%s available (%s)', cp - dp - dpe, ${TOTALS})
      from per_account where limited and dp + dpe > cp
    )`;

/**
 * Checks an organization's accounts against their transfers, in one statement that sums
 * the transfers per account in the database (nothing but the findings comes back):
 *
 * - every limited account has a balance row equal to the totals of its transfers, and is
 *   not taken below zero by them; no unlimited account has a balance row;
 * - every asset sums to zero, reading balances as the ledger reads them (a limited
 *   account's from its row, an unlimited one's from its transfers);
 *
 * and returns the sums, the first `limit` violations and their count. The transfers are
 * reached through the organization's accounts (the planner walks the account indexes for
 * a small organization and scans for a large one).
 */
export async function checkAccounts(
  db: Database,
  organizationId: number,
  limit = 100,
): Promise<AccountChecks> {
  const { rows } = await sql<AccountChecksRow>`
    with accounts as materialized (
      select id, asset, code, member_id, debits_must_not_exceed_credits as limited
      from ledger_accounts where organization_id = ${organizationId}
    ),
    ${PER_ACCOUNT},
    ${SUMS},
    ${VIOLATIONS}
    select
      (select json_agg(s order by s.asset) from sums s) as sums,
      (select json_agg(v) from (
        select * from violations order by kind, row_id limit ${limit}) v) as violations,
      (select count(*) from violations)::int as total,
      coalesce((select sum(dp - cp) from per_account where code = 'issuance'), 0)
        - coalesce((select sum(cp - dp) from per_account where code = 'redeemed'), 0)
        as issued_less_redeemed`.execute(db);
  const row = rows[0] as AccountChecksRow;
  return {
    sums: (row.sums ?? []).map((sum) => ({
      asset: sum.asset,
      posted: Number(sum.posted),
      pending: Number(sum.pending),
    })),
    violations: (row.violations ?? []).map((violation) => toViolation(organizationId, violation)),
    total: row.total,
    issuedLessRedeemed: Number(row.issued_less_redeemed),
  };
}

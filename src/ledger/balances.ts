import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { prepared } from '../db/preparing-pool.ts';

/** An account's totals; `available` is what a limited account may still be debited. */
export interface AccountBalance {
  readonly debitsPosted: number;
  readonly creditsPosted: number;
  readonly debitsPending: number;
  readonly creditsPending: number;
  /** credits posted − debits posted − debits pending. */
  readonly available: number;
}

interface TotalsRow {
  account_id: number;
  debits_posted: number;
  credits_posted: number;
  debits_pending: number;
  credits_pending: number;
}

/**
 * Reads balances. A limited account's comes from its one balance row (O(1)); an unlimited
 * organization account's is the sum of its transfers, over a covering index. Member
 * balances, the ones read on every command, are always the former.
 */
export async function readBalances(
  db: Database,
  accountIds: readonly number[],
): Promise<Map<number, AccountBalance>> {
  const balances = new Map<number, AccountBalance>();
  const ids = [...new Set(accountIds)];
  if (ids.length === 0) return balances;
  const { rows } = await sql<TotalsRow>`${prepared}
    select a.id as account_id,
      coalesce(b.debits_posted, derived.debits_posted)::bigint as debits_posted,
      coalesce(b.credits_posted, derived.credits_posted)::bigint as credits_posted,
      coalesce(b.debits_pending, derived.debits_pending)::bigint as debits_pending,
      coalesce(b.credits_pending, derived.credits_pending)::bigint as credits_pending
    from ledger_accounts a
    left join ledger_balances b on b.account_id = a.id
    left join lateral (
      select
        (select coalesce(sum(amount), 0) from ledger_transfers
          where debit_account_id = a.id and status in ('posted', 'posted_from_pending')) as debits_posted,
        (select coalesce(sum(amount), 0) from ledger_transfers
          where credit_account_id = a.id and status in ('posted', 'posted_from_pending')) as credits_posted,
        (select coalesce(sum(amount), 0) from ledger_transfers
          where debit_account_id = a.id and status = 'pending') as debits_pending,
        (select coalesce(sum(amount), 0) from ledger_transfers
          where credit_account_id = a.id and status = 'pending') as credits_pending
      where not a.debits_must_not_exceed_credits
    ) derived on true
    where a.id = any(${ids}::bigint[])`.execute(db);
  for (const row of rows) {
    balances.set(row.account_id, {
      debitsPosted: row.debits_posted,
      creditsPosted: row.credits_posted,
      debitsPending: row.debits_pending,
      creditsPending: row.credits_pending,
      available: row.credits_posted - row.debits_posted - row.debits_pending,
    });
  }
  return balances;
}

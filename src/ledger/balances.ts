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
  // Each sum sits in a CASE branch taken for unlimited accounts only: Postgres runs a
  // subquery in a CASE branch only when the branch is taken. (Behind a lateral join's
  // condition instead, the generic plan of this prepared statement ran the sums for every
  // account, then dropped them: a member's balance read cost as many rows as transfers
  // they ever had, 18× slower at two million transfers than at 100,000.)
  const derived = (column: 'debit_account_id' | 'credit_account_id', posted: boolean) =>
    sql`(select coalesce(sum(t.amount), 0) from ledger_transfers t
      where ${sql.ref(`t.${column}`)} = a.id and t.status in (${sql.join(
        posted ? ['posted', 'posted_from_pending'] : ['pending'],
      )}))`;
  const { rows } = await sql<TotalsRow>`${prepared}
    select a.id as account_id,
      (case when a.debits_must_not_exceed_credits then b.debits_posted
        else ${derived('debit_account_id', true)} end)::bigint as debits_posted,
      (case when a.debits_must_not_exceed_credits then b.credits_posted
        else ${derived('credit_account_id', true)} end)::bigint as credits_posted,
      (case when a.debits_must_not_exceed_credits then b.debits_pending
        else ${derived('debit_account_id', false)} end)::bigint as debits_pending,
      (case when a.debits_must_not_exceed_credits then b.credits_pending
        else ${derived('credit_account_id', false)} end)::bigint as credits_pending
    from ledger_accounts a
    left join ledger_balances b on b.account_id = a.id
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

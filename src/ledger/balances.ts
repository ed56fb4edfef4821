import { sql } from 'kysely';
import type { Database } from '../db/database.ts';

/** An account's totals; `available` is what a limited account may still be debited. */
export interface AccountBalance {
  readonly debitsPosted: number;
  readonly creditsPosted: number;
  readonly debitsPending: number;
  readonly creditsPending: number;
  /** credits posted − debits posted − debits pending. */
  readonly available: number;
}

/**
 * Reads balances from the balance rows: one row per limited account, a few stripes per
 * hot account, so the cost does not grow with history.
 */
export async function readBalances(
  db: Database,
  accountIds: readonly number[],
): Promise<Map<number, AccountBalance>> {
  const balances = new Map<number, AccountBalance>();
  if (accountIds.length === 0) return balances;
  const rows = await db
    .selectFrom('ledger_balances')
    .select([
      'account_id',
      sql<number>`sum(debits_posted)::bigint`.as('debits_posted'),
      sql<number>`sum(credits_posted)::bigint`.as('credits_posted'),
      sql<number>`sum(debits_pending)::bigint`.as('debits_pending'),
      sql<number>`sum(credits_pending)::bigint`.as('credits_pending'),
    ])
    .where('account_id', 'in', [...new Set(accountIds)])
    .groupBy('account_id')
    .execute();
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

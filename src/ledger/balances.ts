import { type RawBuilder, sql } from 'kysely';
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
 * Reads of at most this many accounts (a member's two, a give's few) are prepared, one
 * statement per count; larger ones are planned each time.
 */
const PREPARED_IDS = 4;

/** An account and, for a limited one, its balance row (null for an unlimited one). */
export interface AccountRow {
  account_id: number;
  limited: boolean;
  debits_posted: number | null;
  credits_posted: number | null;
  debits_pending: number | null;
  credits_pending: number | null;
}

/**
 * The accounts `ids` (distinct) with their balance rows: the statement every member's
 * balance read runs. Exported for the test that reads its plan.
 */
export function balanceRowsStatement(ids: readonly number[]): RawBuilder<AccountRow> {
  // One parameter per id: with `= any($1)` the generic plan assumed ten ids (the array is
  // unknown when it is planned), was costed above the custom plans of two, and never won.
  const few = ids.length <= PREPARED_IDS;
  return sql<AccountRow>`${few ? prepared : sql``}
    select a.id as account_id, a.debits_must_not_exceed_credits as limited,
      b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending
    from ledger_accounts a
    left join ledger_balances b on b.account_id = a.id
    where ${
      few
        ? sql`a.id in (${sql.join(ids.map((id) => sql`${id}::bigint`))})`
        : sql`a.id = any(${[...ids]}::bigint[])`
    }`;
}

/**
 * Reads balances. A limited account's comes from its one balance row (O(1)); an unlimited
 * organization account's is the sum of its transfers. Member balances, the ones read on
 * every command, are always the former, and cost one small statement whatever the size
 * of the ledger.
 *
 * The rows are read by a statement that names no transfers, so its cost, which decides
 * how Postgres runs it, does not grow with the ledger. (With the sums in the same
 * statement, in CASE branches never taken for a limited account, the plan was costed
 * with four sums over the transfers: at twenty million transfers above 100,000, Postgres'
 * jit_above_cost, so every member's balance read first compiled its plan with LLVM,
 * 25 to 800 ms where the read itself takes 0.6.) It takes one parameter per account, so
 * Postgres settles on its generic plan after the first uses and plans it no more. The
 * sums follow, in a second statement, only for unlimited accounts.
 */
export async function readBalances(
  db: Database,
  accountIds: readonly number[],
): Promise<Map<number, AccountBalance>> {
  const balances = new Map<number, AccountBalance>();
  const ids = [...new Set(accountIds)];
  if (ids.length === 0) return balances;
  const { rows } = await balanceRowsStatement(ids).execute(db);
  const unlimited = rows.filter((row) => !row.limited).map((row) => row.account_id);
  const summed = unlimited.length > 0 ? await sumTransfers(db, unlimited) : new Map();
  for (const row of rows) {
    const totals: TotalsRow = row.limited
      ? {
          account_id: row.account_id,
          debits_posted: row.debits_posted as number,
          credits_posted: row.credits_posted as number,
          debits_pending: row.debits_pending as number,
          credits_pending: row.credits_pending as number,
        }
      : (summed.get(row.account_id) as TotalsRow);
    balances.set(row.account_id, {
      debitsPosted: totals.debits_posted,
      creditsPosted: totals.credits_posted,
      debitsPending: totals.debits_pending,
      creditsPending: totals.credits_pending,
      available: totals.credits_posted - totals.debits_posted - totals.debits_pending,
    });
  }
  return balances;
}

/** Unlimited accounts' totals, summed from their transfers (they have no balance row). */
async function sumTransfers(
  db: Database,
  accountIds: readonly number[],
): Promise<Map<number, TotalsRow>> {
  const derived = (column: 'debit_account_id' | 'credit_account_id', posted: boolean) =>
    sql`(select coalesce(sum(t.amount), 0) from ledger_transfers t
      where ${sql.ref(`t.${column}`)} = a.id and t.status in (${sql.join(
        posted ? ['posted', 'posted_from_pending'] : ['pending'],
      )}))::bigint`;
  const { rows } = await sql<TotalsRow>`
    select a.id as account_id,
      ${derived('debit_account_id', true)} as debits_posted,
      ${derived('credit_account_id', true)} as credits_posted,
      ${derived('debit_account_id', false)} as debits_pending,
      ${derived('credit_account_id', false)} as credits_pending
    from unnest(${[...accountIds]}::bigint[]) as a (id)`.execute(db);
  return new Map(rows.map((row) => [Number(row.account_id), row]));
}

import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { readBalances } from '../../src/ledger/balances.ts';

/** Per asset, the sum of posted and the sum of pending balances in an organization. */
export async function assetSums(db: Database, organizationId: number) {
  const accounts = await db
    .selectFrom('ledger_accounts')
    .select(['id', 'asset'])
    .where('organization_id', '=', organizationId)
    .execute();
  const balances = await readBalances(
    db,
    accounts.map((account) => account.id),
  );
  const sums = new Map<string, { asset: string; posted: number; pending: number }>();
  for (const account of accounts) {
    const balance = balances.get(account.id);
    if (!balance) throw new Error(`no balance for account ${account.id}`);
    const sum = sums.get(account.asset) ?? { asset: account.asset, posted: 0, pending: 0 };
    sum.posted += balance.creditsPosted - balance.debitsPosted;
    sum.pending += balance.creditsPending - balance.debitsPending;
    sums.set(account.asset, sum);
  }
  return [...sums.values()].sort((a, b) => a.asset.localeCompare(b.asset));
}

/** Every account's balance rows against the totals of its transfers; returns the mismatches. */
export async function balancesThatDisagreeWithTransfers(db: Database, organizationId: number) {
  const accounts = await db
    .selectFrom('ledger_accounts')
    .select('id')
    .where('organization_id', '=', organizationId)
    .execute();
  const transfers = await db
    .selectFrom('ledger_transfers')
    .select(['debit_account_id', 'credit_account_id', 'amount', 'status'])
    .where('organization_id', '=', organizationId)
    .execute();
  const expected = new Map<number, [number, number, number, number]>();
  for (const { id } of accounts) expected.set(id, [0, 0, 0, 0]);
  for (const transfer of transfers) {
    if (transfer.status === 'voided') continue;
    const posted = transfer.status !== 'pending';
    const debit = expected.get(transfer.debit_account_id) as [number, number, number, number];
    const credit = expected.get(transfer.credit_account_id) as [number, number, number, number];
    if (posted) {
      debit[0] += transfer.amount;
      credit[1] += transfer.amount;
    } else {
      debit[2] += transfer.amount;
      credit[3] += transfer.amount;
    }
  }
  const actual = await readBalances(db, [...expected.keys()]);
  const mismatches: Array<{ account: number; expected: number[]; actual: number[] }> = [];
  for (const [account, totals] of expected) {
    const balance = actual.get(account);
    const got = balance
      ? [balance.debitsPosted, balance.creditsPosted, balance.debitsPending, balance.creditsPending]
      : [];
    if (got.join() !== totals.join()) mismatches.push({ account, expected: totals, actual: got });
  }
  return mismatches;
}

export async function countRows(db: Database, organizationId: number) {
  const [transfers, requests] = await Promise.all([
    db
      .selectFrom('ledger_transfers')
      .select(sql<number>`count(*)::bigint`.as('n'))
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('ledger_requests')
      .select(sql<number>`count(*)::bigint`.as('n'))
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow(),
  ]);
  return { transfers: transfers.n, requests: requests.n };
}

import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { checkAccounts } from '../../src/ledger/account-checks.ts';
import type { LedgerViolationKind } from '../../src/ledger/ledger-violations.ts';

/**
 * Per asset, the sum of posted and the sum of pending balances in an organization, as
 * `npm run ledger:verify` reads them (one definition: src/ledger/account-checks.ts).
 */
export async function assetSums(db: Database, organizationId: number) {
  const { sums } = await checkAccounts(db, organizationId);
  return sums.map(({ asset, posted, pending }) => ({ asset, posted, pending }));
}

const BALANCE_ROW_KINDS: ReadonlySet<LedgerViolationKind> = new Set([
  'balance_row_mismatch',
  'balance_row_missing',
  'balance_row_unexpected',
]);

/**
 * Every account's balance row against the totals of its transfers, as the verifier
 * checks them; returns the mismatches (a limited account's row that differs or is
 * missing, an unlimited account with a row).
 */
export async function balancesThatDisagreeWithTransfers(db: Database, organizationId: number) {
  const { violations } = await checkAccounts(db, organizationId);
  return violations
    .filter((violation) => BALANCE_ROW_KINDS.has(violation.kind))
    .map((violation) => ({
      account: violation.row?.id,
      expected: violation.expected,
      actual: violation.actual,
    }));
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

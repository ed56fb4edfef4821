import type { Selectable } from 'kysely';
import { RefusalAbort } from '../core/result.ts';
import type { LedgerTransferTable } from '../db/tables.ts';
import type { Account } from './accounts.ts';
import { lockBalanceRows } from './balance-writes.ts';
import type { LedgerWork } from './ledger-work.ts';
import { type LedgerRefusal, ledgerRefusal } from './refusals.ts';
import { type Transfer, toTransfer } from './transfer.ts';

type TransferRow = Selectable<LedgerTransferTable>;

/**
 * Reverses posted transfers with new ones in the opposite direction. The originals are
 * locked in id order, so concurrent reversals of one transfer queue and the later one
 * sees the earlier one's reversal. The balance rows are locked in ascending account order,
 * then the new transfers move them (the database does, migration 0016); the deltas also
 * name the account of a shortfall's refusal.
 */
export async function reverseTransfers(
  work: LedgerWork,
  transferIds: readonly number[],
  memo: string | null,
): Promise<Transfer[]> {
  const { trx, organizationId } = work;
  const originals = await trx
    .selectFrom('ledger_transfers')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', 'in', transferIds)
    .orderBy('id')
    .forUpdate()
    .execute();
  checkReversible(transferIds, originals);
  const reversed = await trx
    .selectFrom('ledger_transfers')
    .select('reverses_transfer_id')
    .where('reverses_transfer_id', 'in', transferIds)
    .executeTakeFirst();
  if (reversed) throw new RefusalAbort(alreadyReversed(reversed.reverses_transfer_id));
  const accounts = await work.accountsOf(
    originals.flatMap((row) => [row.debit_account_id, row.credit_account_id]),
  );
  for (const row of originals) {
    work.deltas.add(accounts.get(row.credit_account_id) as Account, { debitsPosted: row.amount });
    work.deltas.add(accounts.get(row.debit_account_id) as Account, { creditsPosted: row.amount });
  }
  await lockBalanceRows(trx, work.deltas);
  const rows = await trx
    .insertInto('ledger_transfers')
    .values(
      originals.map((row) => ({
        organization_id: organizationId,
        request_id: work.requestId,
        asset: row.asset,
        debit_account_id: row.credit_account_id,
        credit_account_id: row.debit_account_id,
        amount: row.amount,
        kind: 'reversal' as const,
        status: 'posted' as const,
        reverses_transfer_id: row.id,
        memo,
      })),
    )
    .returningAll()
    .execute();
  return rows.map(toTransfer);
}

function checkReversible(ids: readonly number[], originals: readonly TransferRow[]): void {
  const missing = ids.find((id) => !originals.some((row) => row.id === id));
  if (missing !== undefined) {
    throw new RefusalAbort(ledgerRefusal('not_found', `There is no transfer ${missing}.`));
  }
  for (const row of originals) {
    if (
      row.kind === 'reversal' ||
      (row.status !== 'posted' && row.status !== 'posted_from_pending')
    ) {
      const what = row.kind === 'reversal' ? 'itself a reversal' : row.status;
      throw new RefusalAbort(
        ledgerRefusal('not_reversible', `Transfer ${row.id} is ${what} and cannot be reversed.`),
      );
    }
  }
}

export function alreadyReversed(transferId: number | null): LedgerRefusal {
  const which = transferId === null ? 'One of these transfers' : `Transfer ${transferId}`;
  return ledgerRefusal('already_reversed', `${which} has already been reversed.`);
}

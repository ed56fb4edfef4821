import { sql } from 'kysely';
import { RefusalAbort } from '../core/result.ts';
import type { LedgerWork } from './ledger-work.ts';
import { type LedgerRefusal, ledgerRefusal } from './refusals.ts';
import { type Transfer, toTransfer } from './transfer.ts';

/**
 * Posts or voids a pending transfer. The status change only matches a pending row, so of
 * two concurrent resolutions exactly one changes it; the other is told why not. The
 * database moves the balance rows with the status (migration 0016): the held amount
 * leaves the pending totals, and enters the posted ones when posted.
 */
export async function resolvePendingTransfer(
  work: LedgerWork,
  transferId: number,
  post: boolean,
): Promise<Transfer[]> {
  const { trx, organizationId } = work;
  const row = await trx
    .updateTable('ledger_transfers')
    .set({ status: post ? 'posted_from_pending' : 'voided', resolved_at: sql<Date>`now()` })
    .where('id', '=', transferId)
    .where('organization_id', '=', organizationId)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new RefusalAbort(await whyNotPending(work, transferId));
  return [toTransfer(row)];
}

async function whyNotPending(work: LedgerWork, transferId: number): Promise<LedgerRefusal> {
  const existing = await work.trx
    .selectFrom('ledger_transfers')
    .select('status')
    .where('id', '=', transferId)
    .where('organization_id', '=', work.organizationId)
    .executeTakeFirst();
  if (!existing) return ledgerRefusal('not_found', `There is no transfer ${transferId}.`);
  const was = {
    voided: 'voided',
    posted: 'posted directly',
    posted_from_pending: 'posted',
    pending: 'pending',
  }[existing.status];
  return ledgerRefusal('already_resolved', `Transfer ${transferId} is not pending: it was ${was}.`);
}

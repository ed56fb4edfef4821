import type { Transaction } from 'kysely';
import { RefusalAbort } from '../core/result.ts';
import type { Tables } from '../db/tables.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { TransferOutcome } from '../ledger/transfer.ts';

export interface RecognitionToUndo {
  readonly id: number;
  readonly ledger_request_id: number;
  readonly created_at: Date | string;
}

export interface UndoInput {
  readonly organizationId: number;
  readonly recognition: RecognitionToUndo;
  /** The start of the allowance period now: allowance spent before it has expired since. */
  readonly periodStart: Date;
  /** The reversal's ledger idempotency key. */
  readonly key: string;
  readonly memo: string;
  readonly reason: string;
  readonly reversedBy: { readonly memberId: number | null; readonly tokenId: number | null };
}

/**
 * Takes a recognition back inside the caller's transaction: new transfers return its
 * points from each recipient and, when it was given this allowance period, the giver's
 * allowance; its reversal is recorded with them. Every way a recognition is taken back
 * (an admin's reversal, a reaction removed in time) goes through here, so each moves the
 * ledger the same way. A refusal (a recipient spent the points) aborts the transaction.
 */
export async function undoRecognition(
  trx: Transaction<Tables>,
  ledger: Ledger,
  input: UndoInput,
): Promise<TransferOutcome> {
  const { organizationId, recognition } = input;
  const givenThisPeriod = new Date(recognition.created_at) >= input.periodStart;
  const transfers = await trx
    .selectFrom('ledger_transfers')
    .select(['id', 'asset'])
    .where('organization_id', '=', organizationId)
    .where('request_id', '=', recognition.ledger_request_id)
    .where('kind', '=', 'kudos')
    .orderBy('id')
    .execute();
  const undone = transfers.filter((transfer) => transfer.asset === 'points' || givenThisPeriod);
  const reversed = await ledger.reverse(
    {
      organizationId,
      idempotencyKey: input.key,
      transferIds: undone.map((transfer) => transfer.id),
      memo: input.memo,
    },
    { within: trx },
  );
  if (!reversed.ok) throw new RefusalAbort(reversed);
  if (reversed.value.replayed) {
    throw new Error(`reversal key ${input.key} was used without a recognition reversal`);
  }
  await trx
    .insertInto('recognition_reversals')
    .values({
      recognition_id: recognition.id,
      organization_id: organizationId,
      ledger_request_id: reversed.value.requestId,
      reversed_by_member_id: input.reversedBy.memberId,
      reversed_by_token_id: input.reversedBy.tokenId,
      reason: input.reason,
    })
    .execute();
  return reversed.value;
}

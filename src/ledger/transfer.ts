import type { Selectable } from 'kysely';
import type { Asset, LedgerTransferTable, TransferKind, TransferStatus } from '../db/tables.ts';
import type { AccountBalance } from './balances.ts';

/** One movement asked of the ledger: `amount` leaves the debit account for the credit one. */
export interface TransferSpec {
  readonly debitAccountId: number;
  readonly creditAccountId: number;
  /** A whole number of points, from 1 to Number.MAX_SAFE_INTEGER. */
  readonly amount: number;
  readonly kind: Exclude<TransferKind, 'reversal'>;
  /** A pending transfer holds the amount until it is posted or voided. @defaultValue false */
  readonly pending?: boolean;
  readonly memo?: string;
}

/** A transfer as stored; immutable but for a pending transfer's one resolution. */
export interface Transfer {
  readonly id: number;
  readonly asset: Asset;
  readonly debitAccountId: number;
  readonly creditAccountId: number;
  readonly amount: number;
  readonly kind: TransferKind;
  readonly status: TransferStatus;
  readonly reversesTransferId: number | null;
  readonly memo: string | null;
  readonly createdAt: string;
}

export function toTransfer(row: Selectable<LedgerTransferTable>): Transfer {
  return {
    id: row.id,
    asset: row.asset,
    debitAccountId: row.debit_account_id,
    creditAccountId: row.credit_account_id,
    amount: row.amount,
    kind: row.kind,
    status: row.status,
    reversesTransferId: row.reverses_transfer_id,
    memo: row.memo,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** What a ledger operation returns; `replayed` when the idempotency key had been used. */
export interface TransferOutcome {
  /** The ledger request that made (or, on a replay, first made) these transfers. */
  readonly requestId: number;
  readonly transfers: readonly Transfer[];
  readonly replayed: boolean;
  /** After a transfer that wrote (not a replay): its limited accounts' balances. */
  readonly balancesAfter?: ReadonlyMap<number, AccountBalance>;
  /** After a transfer that wrote: the result of its attachment, if it had one. */
  readonly attached?: unknown;
}

import { type Refusal, refuse } from '../core/result.ts';

/** Every expected refusal the ledger gives. */
export type LedgerRefusalCode =
  | 'invalid_request'
  | 'invalid_amount'
  | 'unknown_account'
  | 'asset_mismatch'
  | 'insufficient_balance'
  | 'idempotency_conflict'
  | 'not_found'
  | 'already_resolved'
  | 'not_reversible'
  | 'already_reversed';

export type LedgerRefusal = Refusal<LedgerRefusalCode>;

export const ledgerRefusal = (code: LedgerRefusalCode, message: string): LedgerRefusal =>
  refuse(code, message);

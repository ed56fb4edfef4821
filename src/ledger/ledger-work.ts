import type { Transaction } from 'kysely';
import type { Tables } from '../db/tables.ts';
import type { Account } from './accounts.ts';
import type { BalanceDeltas } from './balance-writes.ts';

/** What a ledger operation works with inside its transaction, once its key is claimed. */
export interface LedgerWork {
  readonly trx: Transaction<Tables>;
  readonly organizationId: number;
  readonly requestId: number;
  readonly deltas: BalanceDeltas;
  /** The accounts behind these ids, all of this organization (or a refusal). */
  accountsOf(ids: readonly number[]): Promise<Map<number, Account>>;
}

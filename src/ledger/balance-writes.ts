import { sql, type Transaction } from 'kysely';
import { RefusalAbort } from '../core/result.ts';
import type { Tables } from '../db/tables.ts';
import type { Account } from './accounts.ts';
import { ledgerRefusal } from './refusals.ts';

/** How one operation changes one account's four totals. */
export interface BalanceDelta {
  debitsPosted: number;
  creditsPosted: number;
  debitsPending: number;
  creditsPending: number;
}

/** Sums the changes of a batch per account, so each balance row is written once. */
export class BalanceDeltas {
  readonly #byAccount = new Map<number, { account: Account; delta: BalanceDelta }>();

  add(account: Account, change: Partial<BalanceDelta>): void {
    let entry = this.#byAccount.get(account.id);
    if (!entry) {
      entry = {
        account,
        delta: { debitsPosted: 0, creditsPosted: 0, debitsPending: 0, creditsPending: 0 },
      };
      this.#byAccount.set(account.id, entry);
    }
    entry.delta.debitsPosted += change.debitsPosted ?? 0;
    entry.delta.creditsPosted += change.creditsPosted ?? 0;
    entry.delta.debitsPending += change.debitsPending ?? 0;
    entry.delta.creditsPending += change.creditsPending ?? 0;
  }

  /** In ascending account id: every writer locks rows in the same order, so none deadlock. */
  inLockOrder(): Array<{ account: Account; delta: BalanceDelta }> {
    return [...this.#byAccount.values()].sort((a, b) => a.account.id - b.account.id);
  }
}

/**
 * Writes the deltas. A limited account's single row is updated only if its debits stay
 * within its posted credits (the CHECK constraint is the backstop); an unlimited account
 * gets the change on one of its stripes, chosen at random, so concurrent writers rarely
 * wait on each other. Throws a RefusalAbort (rolling the transaction back) when a limited
 * account would go below zero.
 */
export async function applyBalanceDeltas(
  trx: Transaction<Tables>,
  deltas: BalanceDeltas,
): Promise<void> {
  for (const { account, delta } of deltas.inLockOrder()) {
    const stripe = account.limited ? 0 : Math.floor(Math.random() * account.stripes);
    let update = trx
      .updateTable('ledger_balances')
      .set((eb) => ({
        debits_posted: eb('debits_posted', '+', delta.debitsPosted),
        credits_posted: eb('credits_posted', '+', delta.creditsPosted),
        debits_pending: eb('debits_pending', '+', delta.debitsPending),
        credits_pending: eb('credits_pending', '+', delta.creditsPending),
      }))
      .where('account_id', '=', account.id)
      .where('stripe', '=', stripe);
    if (account.limited) {
      update = update.where(
        sql<boolean>`debits_posted + debits_pending + ${delta.debitsPosted + delta.debitsPending}
          <= credits_posted + ${delta.creditsPosted}`,
      );
    }
    const written = await update.returning('account_id').executeTakeFirst();
    if (!written) await refuseInsufficient(trx, account, delta);
  }
}

async function refuseInsufficient(
  trx: Transaction<Tables>,
  account: Account,
  delta: BalanceDelta,
): Promise<never> {
  const row = await trx
    .selectFrom('ledger_balances')
    .select(sql<number>`credits_posted - debits_posted - debits_pending`.as('available'))
    .where('account_id', '=', account.id)
    .executeTakeFirst();
  if (!row) throw new Error(`ledger account ${account.id} has no balance row`);
  const needed = delta.debitsPosted + delta.debitsPending - delta.creditsPosted;
  throw new RefusalAbort(
    ledgerRefusal(
      'insufficient_balance',
      `Account ${account.id} (${account.code}) has ${row.available} ${account.asset} available; this needs ${needed}.`,
    ),
  );
}

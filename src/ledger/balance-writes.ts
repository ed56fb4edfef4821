import { type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Account } from './accounts.ts';
import { readBalances } from './balances.ts';
import { type LedgerRefusal, ledgerRefusal } from './refusals.ts';

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

  entries(): Array<{ account: Account; delta: BalanceDelta }> {
    return [...this.#byAccount.values()];
  }
}

/**
 * The `deltas`, `locked` and `balances` common table expressions of a write of a batch of
 * transfers: the limited accounts' balance rows, locked in ascending account order (as the
 * database's trigger locks them, so no two writers deadlock), and what they will hold
 * once the transfers are appended (`balances`). The balance rows themselves are moved by
 * the database as the transfers are appended (migration 0016): no code writes them, and a
 * limited account that would go below zero violates the CHECK constraint
 * `debits_must_not_exceed_credits`, which aborts the whole statement. Unlimited accounts
 * have no balance row (their balances are derived from transfers), so nothing is locked
 * for them and no give waits on another's hot account.
 *
 * `gate` names a CTE that must yield a row for anything to be locked (the claimed
 * idempotency key), so a replay locks nothing.
 */
export function balanceLockCtes(deltas: BalanceDeltas, gate?: string): RawBuilder<unknown> {
  const rows = deltas
    .entries()
    .filter(({ account }) => account.limited)
    .map(
      ({ account, delta }) =>
        sql`(${account.id}::bigint, ${delta.debitsPosted}::bigint, ${delta.creditsPosted}::bigint,
          ${delta.debitsPending}::bigint, ${delta.creditsPending}::bigint)`,
    );
  // A batch that touches only unlimited accounts still needs a (empty) deltas relation.
  const values =
    rows.length > 0
      ? sql`values ${sql.join(rows)}`
      : sql`select null::bigint, null::bigint, null::bigint, null::bigint, null::bigint where false`;
  const gated = gate ? sql`where exists (select 1 from ${sql.table(gate)})` : sql``;
  return sql`
    deltas (account_id, debits_posted, credits_posted, debits_pending, credits_pending) as (
      ${values}
    ),
    locked as materialized (
      select b.account_id, b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending
      from ledger_balances b
      join deltas d on d.account_id = b.account_id
      ${gated}
      order by b.account_id
      for update of b
    ),
    balances as (
      select l.account_id,
        l.debits_posted + d.debits_posted as debits_posted,
        l.credits_posted + d.credits_posted as credits_posted,
        l.debits_pending + d.debits_pending as debits_pending,
        l.credits_pending + d.credits_pending as credits_pending
      from locked l join deltas d on d.account_id = l.account_id
    )`;
}

/**
 * Locks the limited accounts' balance rows of a batch of deltas in ascending account
 * order, inside a transaction, before transfers that move them are appended (the
 * database moves them then, and every writer must have locked them in this order first).
 */
export async function lockBalanceRows(db: Database, deltas: BalanceDeltas): Promise<void> {
  const ids = deltas
    .entries()
    .filter(({ account }) => account.limited)
    .map(({ account }) => account.id);
  if (ids.length === 0) return;
  await sql`
    select account_id from ledger_balances where account_id = any(${ids}::bigint[])
    order by account_id for update`.execute(db);
}

/** A limited account would have gone below zero; the statement and its transaction failed. */
export class BalanceShortfall extends Error {
  constructor(readonly deltas: BalanceDeltas) {
    super('a limited account would go below zero');
    this.name = 'BalanceShortfall';
  }

  static from(error: unknown, deltas: BalanceDeltas): BalanceShortfall | undefined {
    const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
    return code === '23514' && constraint === 'debits_must_not_exceed_credits'
      ? new BalanceShortfall(deltas)
      : undefined;
  }

  /**
   * The refusal, naming the account that lacks the amount, read after the rollback; with
   * no database to read (the caller's transaction failed), a refusal without the figures.
   */
  async refusal(db: Database | undefined): Promise<LedgerRefusal> {
    if (!db)
      return ledgerRefusal('insufficient_balance', 'An account does not hold enough for this.');
    const limited = this.deltas.entries().filter(({ account }) => account.limited);
    const balances = await readBalances(
      db,
      limited.map(({ account }) => account.id),
    );
    for (const { account, delta } of limited) {
      const available = balances.get(account.id)?.available ?? 0;
      const needed = delta.debitsPosted + delta.debitsPending - delta.creditsPosted;
      if (needed > available) {
        return ledgerRefusal(
          'insufficient_balance',
          `Account ${account.id} (${account.code}) has ${available} ${account.asset} available; this needs ${needed}.`,
        );
      }
    }
    return ledgerRefusal('insufficient_balance', 'An account does not hold enough for this.');
  }
}

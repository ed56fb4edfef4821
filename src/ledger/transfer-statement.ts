import { type RawBuilder, type Selectable, sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { prepared } from '../db/preparing-pool.ts';
import type { LedgerTransferTable } from '../db/tables.ts';
import type { Account } from './accounts.ts';
import { type BalanceDeltas, balanceLockCtes } from './balance-writes.ts';
import type { TransferSpec } from './transfer.ts';

export interface TransferStatementInput {
  readonly organizationId: number;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly specs: readonly TransferSpec[];
  readonly accounts: ReadonlyMap<number, Account>;
  readonly deltas: BalanceDeltas;
  readonly attachment?: TransferAttachment;
}

/**
 * Writes that must commit with the transfers or not at all, made in the same statement:
 * common table expressions that may read `req` (the claimed request, one row with its
 * `id`), and one SQL value to return from them.
 */
export interface TransferAttachment {
  readonly ctes: RawBuilder<unknown>;
  readonly result: RawBuilder<unknown>;
}

export type TransferStatementRow = Selectable<LedgerTransferTable> & {
  /** The attachment's result. */
  attached: unknown;
  /** The limited accounts' totals after the write (their rows are locked until commit). */
  balances_after: Array<{
    account_id: number;
    debits_posted: number;
    credits_posted: number;
    debits_pending: number;
    credits_pending: number;
  }>;
};

/**
 * Claims the idempotency key, locks the limited accounts' balance rows and appends the
 * transfers (which move those rows) in one statement, so a give costs one round trip and
 * is atomic without an explicit transaction. Returns no rows when the key was already
 * claimed (nothing is written then).
 */
export async function executeTransferStatement(
  db: Database,
  input: TransferStatementInput,
): Promise<TransferStatementRow[]> {
  const transfers = input.specs.map((spec, position) => {
    const asset = (input.accounts.get(spec.debitAccountId) as Account).asset;
    const status = spec.pending ? 'pending' : 'posted';
    return sql`(${position}::int, ${asset}::text, ${spec.debitAccountId}::bigint,
      ${spec.creditAccountId}::bigint, ${spec.amount}::bigint, ${spec.kind}::text,
      ${status}::text, ${spec.memo ?? null}::text)`;
  });
  const attachment = input.attachment;
  const { rows } = await sql<TransferStatementRow>`${prepared}
    with req as (
      insert into ledger_requests (organization_id, idempotency_key, request_hash, operation)
      values (${input.organizationId}, ${input.idempotencyKey}, ${input.requestHash}, 'transfer')
      on conflict (organization_id, idempotency_key) do nothing
      returning id
    ),
    ${balanceLockCtes(input.deltas, 'req')},
    transfers as (
      insert into ledger_transfers (organization_id, request_id, asset, debit_account_id,
        credit_account_id, amount, kind, status, memo)
      select ${input.organizationId}, req.id, t.asset, t.debit_account_id, t.credit_account_id,
        t.amount, t.kind, t.status, t.memo
      from req
      cross join (values ${sql.join(transfers)})
        as t (position, asset, debit_account_id, credit_account_id, amount, kind, status, memo)
      order by t.position
      returning *
    )${
      attachment
        ? sql`,
    ${attachment.ctes}`
        : sql``
    }
    select t.*, ${attachment?.result ?? sql`null`} as attached,
      (select coalesce(json_agg(b), '[]') from balances b) as balances_after
    from transfers t order by t.id`.execute(db);
  return rows;
}

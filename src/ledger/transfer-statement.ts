import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { PREPARE_MARKER } from '../db/preparing-pool.ts';
import type { LedgerTransferTable } from '../db/tables.ts';
import type { Account } from './accounts.ts';
import { type BalanceDeltas, balanceWriteCtes } from './balance-writes.ts';
import type { TransferSpec } from './transfer.ts';

export interface TransferStatementInput {
  readonly organizationId: number;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly specs: readonly TransferSpec[];
  readonly accounts: ReadonlyMap<number, Account>;
  readonly deltas: BalanceDeltas;
}

/**
 * Claims the idempotency key, writes the balances and appends the transfers in one
 * statement, so a give costs one round trip and is atomic without an explicit
 * transaction. Returns no rows when the key was already claimed (nothing is written then).
 */
export async function executeTransferStatement(
  db: Database,
  input: TransferStatementInput,
): Promise<Selectable<LedgerTransferTable>[]> {
  const transfers = input.specs.map((spec, position) => {
    const asset = (input.accounts.get(spec.debitAccountId) as Account).asset;
    const status = spec.pending ? 'pending' : 'posted';
    return sql`(${position}::int, ${asset}::text, ${spec.debitAccountId}::bigint,
      ${spec.creditAccountId}::bigint, ${spec.amount}::bigint, ${spec.kind}::text,
      ${status}::text, ${spec.memo ?? null}::text)`;
  });
  const { rows } = await sql<Selectable<LedgerTransferTable>>`${sql.raw(PREPARE_MARKER)}
    with req as (
      insert into ledger_requests (organization_id, idempotency_key, request_hash, operation)
      values (${input.organizationId}, ${input.idempotencyKey}, ${input.requestHash}, 'transfer')
      on conflict (organization_id, idempotency_key) do nothing
      returning id
    ),
    ${balanceWriteCtes(input.deltas, 'req')},
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
    )
    select * from transfers order by id`.execute(db);
  return rows;
}

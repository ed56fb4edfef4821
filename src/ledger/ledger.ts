import { sql, type Transaction } from 'kysely';
import { ok, RefusalAbort, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import { retryOnConflict, violatedUniqueConstraint } from '../db/retry.ts';
import type { Tables } from '../db/tables.ts';
import {
  type Account,
  ensureMemberAccounts,
  ensureOrganizationAccounts,
  type MemberAccounts,
  type OrganizationAccounts,
  toAccount,
} from './accounts.ts';
import { applyBalanceDeltas, BalanceDeltas } from './balance-writes.ts';
import { type AccountBalance, readBalances } from './balances.ts';
import { type LedgerRefusal, type LedgerRefusalCode, ledgerRefusal } from './refusals.ts';
import { requestHash } from './request-hash.ts';
import { type Transfer, type TransferOutcome, type TransferSpec, toTransfer } from './transfer.ts';
import { validateIdempotencyKey, validateTransferSpecs } from './transfer-validation.ts';

export type LedgerResult = Result<TransferOutcome, LedgerRefusalCode>;

/** Every ledger write names its organization and carries an idempotency key. */
export interface LedgerRequest {
  readonly organizationId: number;
  /** Unique per organization; the same key with the same request returns the first result. */
  readonly idempotencyKey: string;
}

type Trx = Transaction<Tables>;

/**
 * The double-entry points ledger: the only code that writes balances.
 *
 * Every write is one database transaction that first claims its idempotency key, then
 * locks the limited accounts' balance rows in ascending id order, then appends transfers.
 */
export class Ledger {
  /** Accounts never change once created, so their descriptions are cached. */
  readonly #accounts = new Map<number, Account>();

  constructor(private readonly db: Database) {}

  async organizationAccounts(organizationId: number): Promise<OrganizationAccounts> {
    return this.#remember(await ensureOrganizationAccounts(this.db, organizationId));
  }

  async memberAccounts(organizationId: number, memberId: number): Promise<MemberAccounts> {
    return this.#remember(await ensureMemberAccounts(this.db, organizationId, memberId));
  }

  /** Balances read from the balance rows, never from history. */
  balances(accountIds: readonly number[]): Promise<Map<number, AccountBalance>> {
    return readBalances(this.db, accountIds);
  }

  /** Creates linked transfers: all are committed together, or none is. */
  async transfer(
    request: LedgerRequest & { transfers: readonly TransferSpec[] },
  ): Promise<LedgerResult> {
    const invalid =
      validateIdempotencyKey(request.idempotencyKey) ?? validateTransferSpecs(request.transfers);
    if (invalid) return invalid;
    const payload = request.transfers.map((spec) => ({ ...spec, pending: spec.pending === true }));
    return this.#run(request, 'transfer', payload, async (trx, requestId) => {
      const accounts = await this.#accountsOf(
        trx,
        request.organizationId,
        payload.flatMap((s) => [s.debitAccountId, s.creditAccountId]),
      );
      const deltas = new BalanceDeltas();
      for (const spec of payload) {
        const debit = accounts.get(spec.debitAccountId) as Account;
        const credit = accounts.get(spec.creditAccountId) as Account;
        if (debit.asset !== credit.asset) {
          throw new RefusalAbort(
            ledgerRefusal(
              'asset_mismatch',
              `A transfer moves one asset: account ${debit.id} holds ${debit.asset} and account ${credit.id} holds ${credit.asset}.`,
            ),
          );
        }
        deltas.add(
          debit,
          spec.pending ? { debitsPending: spec.amount } : { debitsPosted: spec.amount },
        );
        deltas.add(
          credit,
          spec.pending ? { creditsPending: spec.amount } : { creditsPosted: spec.amount },
        );
      }
      await applyBalanceDeltas(trx, deltas);
      const rows = await trx
        .insertInto('ledger_transfers')
        .values(
          payload.map((spec) => ({
            organization_id: request.organizationId,
            request_id: requestId,
            asset: (accounts.get(spec.debitAccountId) as Account).asset,
            debit_account_id: spec.debitAccountId,
            credit_account_id: spec.creditAccountId,
            amount: spec.amount,
            kind: spec.kind,
            status: spec.pending ? ('pending' as const) : ('posted' as const),
            reverses_transfer_id: null,
            memo: spec.memo ?? null,
          })),
        )
        .returningAll()
        .execute();
      return rows.map(toTransfer);
    });
  }

  /** Posts a pending transfer: the held amount moves for good. Resolves once. */
  postPending(request: LedgerRequest & { transferId: number }): Promise<LedgerResult> {
    return this.#resolvePending(request, 'posted_from_pending');
  }

  /** Voids a pending transfer: the held amount returns. Resolves once. */
  voidPending(request: LedgerRequest & { transferId: number }): Promise<LedgerResult> {
    return this.#resolvePending(request, 'voided');
  }

  /**
   * Reverses posted transfers with new transfers in the opposite direction (a mistake is
   * never edited or deleted). Refused when a limited account no longer holds the amount.
   */
  async reverse(
    request: LedgerRequest & { transferIds: readonly number[]; memo?: string },
  ): Promise<LedgerResult> {
    const invalid = validateIdempotencyKey(request.idempotencyKey);
    if (invalid) return invalid;
    const ids = [...new Set(request.transferIds)];
    if (ids.length === 0 || ids.some((id) => !Number.isSafeInteger(id) || id <= 0)) {
      return ledgerRefusal('invalid_request', 'Name the transfers to reverse by their ids.');
    }
    const payload = { transferIds: ids, memo: request.memo ?? null };
    return this.#run(request, 'reverse', payload, async (trx, requestId) => {
      // Locking the originals (in id order) makes concurrent reversals of one transfer
      // queue here, so the later one sees the earlier one's reversal below.
      const originals = await trx
        .selectFrom('ledger_transfers')
        .selectAll()
        .where('organization_id', '=', request.organizationId)
        .where('id', 'in', ids)
        .orderBy('id')
        .forUpdate()
        .execute();
      const missing = ids.find((id) => !originals.some((row) => row.id === id));
      if (missing !== undefined)
        throw new RefusalAbort(ledgerRefusal('not_found', `There is no transfer ${missing}.`));
      const unreversible = originals.find(
        (row) =>
          row.kind === 'reversal' ||
          (row.status !== 'posted' && row.status !== 'posted_from_pending'),
      );
      if (unreversible) {
        throw new RefusalAbort(
          ledgerRefusal(
            'not_reversible',
            `Transfer ${unreversible.id} is ${unreversible.kind === 'reversal' ? 'itself a reversal' : unreversible.status} and cannot be reversed.`,
          ),
        );
      }
      const reversed = await trx
        .selectFrom('ledger_transfers')
        .select('reverses_transfer_id')
        .where('reverses_transfer_id', 'in', ids)
        .executeTakeFirst();
      if (reversed) throw new RefusalAbort(alreadyReversed(reversed.reverses_transfer_id));
      const accounts = await this.#accountsOf(
        trx,
        request.organizationId,
        originals.flatMap((row) => [row.debit_account_id, row.credit_account_id]),
      );
      const deltas = new BalanceDeltas();
      for (const row of originals) {
        deltas.add(accounts.get(row.credit_account_id) as Account, { debitsPosted: row.amount });
        deltas.add(accounts.get(row.debit_account_id) as Account, { creditsPosted: row.amount });
      }
      await applyBalanceDeltas(trx, deltas);
      try {
        const rows = await trx
          .insertInto('ledger_transfers')
          .values(
            originals.map((row) => ({
              organization_id: request.organizationId,
              request_id: requestId,
              asset: row.asset,
              debit_account_id: row.credit_account_id,
              credit_account_id: row.debit_account_id,
              amount: row.amount,
              kind: 'reversal' as const,
              status: 'posted' as const,
              reverses_transfer_id: row.id,
              memo: request.memo ?? null,
            })),
          )
          .returningAll()
          .execute();
        return rows.map(toTransfer);
      } catch (error) {
        if (violatedUniqueConstraint(error) === 'ledger_transfers_reverses_transfer_id_key') {
          throw new RefusalAbort(alreadyReversed(null));
        }
        throw error;
      }
    });
  }

  async #resolvePending(
    request: LedgerRequest & { transferId: number },
    status: 'posted_from_pending' | 'voided',
  ): Promise<LedgerResult> {
    const invalid = validateIdempotencyKey(request.idempotencyKey);
    if (invalid) return invalid;
    if (!Number.isSafeInteger(request.transferId) || request.transferId <= 0) {
      return ledgerRefusal('invalid_request', 'Name the pending transfer by its id.');
    }
    const operation = status === 'voided' ? 'void' : 'post';
    return this.#run(request, operation, { transferId: request.transferId }, async (trx) => {
      const row = await trx
        .updateTable('ledger_transfers')
        .set({ status, resolved_at: sql<Date>`now()` })
        .where('id', '=', request.transferId)
        .where('organization_id', '=', request.organizationId)
        .where('status', '=', 'pending')
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new RefusalAbort(await this.#whyNotPending(trx, request));
      const accounts = await this.#accountsOf(trx, request.organizationId, [
        row.debit_account_id,
        row.credit_account_id,
      ]);
      const deltas = new BalanceDeltas();
      const debit = accounts.get(row.debit_account_id) as Account;
      const credit = accounts.get(row.credit_account_id) as Account;
      deltas.add(debit, {
        debitsPending: -row.amount,
        debitsPosted: status === 'voided' ? 0 : row.amount,
      });
      deltas.add(credit, {
        creditsPending: -row.amount,
        creditsPosted: status === 'voided' ? 0 : row.amount,
      });
      await applyBalanceDeltas(trx, deltas);
      return [toTransfer(row)];
    });
  }

  async #whyNotPending(
    trx: Trx,
    request: LedgerRequest & { transferId: number },
  ): Promise<LedgerRefusal> {
    const existing = await trx
      .selectFrom('ledger_transfers')
      .select('status')
      .where('id', '=', request.transferId)
      .where('organization_id', '=', request.organizationId)
      .executeTakeFirst();
    if (!existing) return ledgerRefusal('not_found', `There is no transfer ${request.transferId}.`);
    return ledgerRefusal(
      'already_resolved',
      `Transfer ${request.transferId} is not pending: it was ${existing.status === 'voided' ? 'voided' : existing.status === 'posted' ? 'posted directly' : 'posted'}.`,
    );
  }

  /**
   * Claims the idempotency key, runs the work and records its result, in one transaction
   * retried on deadlock or serialization failure. A key already used returns the stored
   * first result when the request is the same, and a conflict when it is not.
   */
  async #run(
    request: LedgerRequest,
    operation: string,
    payload: unknown,
    work: (trx: Trx, requestId: number) => Promise<Transfer[]>,
  ): Promise<LedgerResult> {
    const hash = requestHash(operation, payload);
    try {
      return await retryOnConflict(() =>
        this.db.transaction().execute(async (trx): Promise<LedgerResult> => {
          const claimed = await trx
            .insertInto('ledger_requests')
            .values({
              organization_id: request.organizationId,
              idempotency_key: request.idempotencyKey,
              request_hash: hash,
              operation,
              result: null,
            })
            .onConflict((conflict) =>
              conflict.columns(['organization_id', 'idempotency_key']).doNothing(),
            )
            .returning('id')
            .executeTakeFirst();
          if (!claimed) return this.#replay(trx, request, hash);
          const transfers = await work(trx, claimed.id);
          await trx
            .updateTable('ledger_requests')
            .set({ result: JSON.stringify(transfers) })
            .where('id', '=', claimed.id)
            .execute();
          return ok({ transfers, replayed: false });
        }),
      );
    } catch (error) {
      if (error instanceof RefusalAbort) return error.refusal as LedgerRefusal;
      throw error;
    }
  }

  async #replay(trx: Trx, request: LedgerRequest, hash: string): Promise<LedgerResult> {
    const first = await trx
      .selectFrom('ledger_requests')
      .select(['request_hash', 'result'])
      .where('organization_id', '=', request.organizationId)
      .where('idempotency_key', '=', request.idempotencyKey)
      .executeTakeFirstOrThrow();
    if (first.request_hash !== hash) {
      return ledgerRefusal(
        'idempotency_conflict',
        `The idempotency key ${JSON.stringify(request.idempotencyKey)} was already used for a different request.`,
      );
    }
    return ok({ transfers: first.result as Transfer[], replayed: true });
  }

  /** The accounts behind these ids, all of this organization, or a refusal naming one that is not. */
  async #accountsOf(
    trx: Trx,
    organizationId: number,
    ids: readonly number[],
  ): Promise<Map<number, Account>> {
    const wanted = [...new Set(ids)];
    const missing = wanted.filter((id) => !this.#accounts.has(id));
    if (missing.length > 0) {
      const rows = await trx
        .selectFrom('ledger_accounts')
        .selectAll()
        .where('id', 'in', missing)
        .execute();
      for (const row of rows) this.#accounts.set(row.id, toAccount(row));
    }
    const found = new Map<number, Account>();
    for (const id of wanted) {
      const account = this.#accounts.get(id);
      if (!account || account.organizationId !== organizationId) {
        throw new RefusalAbort(
          ledgerRefusal('unknown_account', `There is no account ${id} in this organization.`),
        );
      }
      found.set(id, account);
    }
    return found;
  }

  #remember<T extends Record<string, Account>>(accounts: T): T {
    for (const account of Object.values(accounts)) this.#accounts.set(account.id, account);
    return accounts;
  }
}

function alreadyReversed(transferId: number | null): LedgerRefusal {
  const which = transferId === null ? 'One of these transfers' : `Transfer ${transferId}`;
  return ledgerRefusal('already_reversed', `${which} has already been reversed.`);
}

import type { Selectable, Transaction } from 'kysely';
import { ok, RefusalAbort, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import { retryOnConflict, violatedUniqueConstraint } from '../db/retry.ts';
import type { LedgerOperation, LedgerTransferTable, Tables } from '../db/tables.ts';
import {
  type Account,
  ensureMemberAccounts,
  ensureOrganizationAccounts,
  type MemberAccounts,
  type OrganizationAccounts,
  toAccount,
} from './accounts.ts';
import { BalanceDeltas, BalanceShortfall } from './balance-writes.ts';
import { type AccountBalance, readBalances } from './balances.ts';
import type { LedgerWork } from './ledger-work.ts';
import { resolvePendingTransfer } from './pending-resolution.ts';
import {
  conflictingOpenings,
  ensureAllowanceAccounts,
  executePeriodOpenings,
  type PeriodOpeningBatch,
} from './period-openings.ts';
import { type LedgerRefusal, type LedgerRefusalCode, ledgerRefusal } from './refusals.ts';
import { requestHash } from './request-hash.ts';
import { alreadyReversed, reverseTransfers } from './reversal.ts';
import { type Transfer, type TransferOutcome, type TransferSpec, toTransfer } from './transfer.ts';
import {
  executeTransferStatement,
  type TransferAttachment,
  type TransferStatementRow,
} from './transfer-statement.ts';
import {
  validateAmount,
  validateIdempotencyKey,
  validateTransferSpecs,
} from './transfer-validation.ts';

export type LedgerResult = Result<TransferOutcome, LedgerRefusalCode>;

/** Every ledger write names its organization and carries an idempotency key. */
export interface LedgerRequest {
  readonly organizationId: number;
  /** Unique per organization; the same key with the same request returns the first result. */
  readonly idempotencyKey: string;
}

/** What a batch of period openings did. */
export interface PeriodOpeningOutcome {
  /** Openings this call made; the others had been made before (replays). */
  readonly opened: number;
  /** Keys already claimed by a different request than their opening, in key order. */
  readonly conflicts: readonly string[];
}

type Trx = Transaction<Tables>;
type TransferRow = Selectable<LedgerTransferTable>;

/**
 * The double-entry points ledger: the only code that writes transfers.
 *
 * Every write claims its idempotency key, locks the balance rows it changes in ascending
 * order and appends transfers, atomically; the database moves the balance rows with the
 * transfers (a CHECK constraint refuses any limited account below zero). Deadlocks and
 * serialization failures are retried.
 */
export class Ledger {
  /** Accounts never change once created, so their descriptions are cached. */
  readonly #accounts = new Map<number, Account>();

  constructor(private readonly db: Database) {}

  readonly #organizationAccounts = new Map<number, OrganizationAccounts>();
  readonly #memberAccounts = new Map<number, MemberAccounts>();

  /** The organization's accounts, created on first use. */
  async organizationAccounts(organizationId: number): Promise<OrganizationAccounts> {
    let accounts = this.#organizationAccounts.get(organizationId);
    if (!accounts) {
      accounts = this.#remember(await ensureOrganizationAccounts(this.db, organizationId));
      this.#organizationAccounts.set(organizationId, accounts);
    }
    return accounts;
  }

  /** A member's accounts, created on first use. */
  async memberAccounts(organizationId: number, memberId: number): Promise<MemberAccounts> {
    let accounts = this.#memberAccounts.get(memberId);
    if (!accounts) {
      accounts = this.#remember(await ensureMemberAccounts(this.db, organizationId, memberId));
      this.#memberAccounts.set(memberId, accounts);
    }
    if (accounts.allowance.organizationId !== organizationId) {
      throw new Error(`member ${memberId} is not in organization ${organizationId}`);
    }
    return accounts;
  }

  /** Limited accounts' balances from their rows (O(1)); unlimited ones' from their transfers. */
  balances(accountIds: readonly number[]): Promise<Map<number, AccountBalance>> {
    return readBalances(this.db, accountIds);
  }

  /**
   * Creates linked transfers: all are committed together, or none is. Given a transaction
   * (`within`), the transfers become part of it, and the caller retries the whole
   * transaction on a deadlock; otherwise the write is one atomic statement, retried here,
   * which may carry an `attachment`: the caller's own writes, committed with it.
   */
  async transfer(
    request: LedgerRequest & { transfers: readonly TransferSpec[] },
    options: { within?: Trx; attachment?: TransferAttachment } = {},
  ): Promise<LedgerResult> {
    const { within, attachment } = options;
    const invalid =
      validateIdempotencyKey(request.idempotencyKey) ?? validateTransferSpecs(request.transfers);
    if (invalid) return invalid;
    const specs = request.transfers.map((spec) => ({ ...spec, pending: spec.pending === true }));
    const hash = requestHash('transfer', specs);
    const deltas = new BalanceDeltas();
    try {
      const executor = within ?? this.db;
      const accounts = await this.#accountsOf(
        executor,
        request.organizationId,
        specs.flatMap((spec) => [spec.debitAccountId, spec.creditAccountId]),
      );
      for (const spec of specs) {
        const debit = accounts.get(spec.debitAccountId) as Account;
        const credit = accounts.get(spec.creditAccountId) as Account;
        if (debit.asset !== credit.asset) throw new RefusalAbort(assetMismatch(debit, credit));
        deltas.add(
          debit,
          spec.pending ? { debitsPending: spec.amount } : { debitsPosted: spec.amount },
        );
        deltas.add(
          credit,
          spec.pending ? { creditsPending: spec.amount } : { creditsPosted: spec.amount },
        );
      }
      const write = () =>
        executeTransferStatement(executor, {
          ...request,
          requestHash: hash,
          specs,
          accounts,
          deltas,
          attachment,
        });
      const rows = within ? await write() : await retryOnConflict(write);
      const first = rows[0];
      if (first) {
        return ok({
          requestId: first.request_id,
          transfers: rows.map(toTransfer),
          replayed: false,
          balancesAfter: toBalances(first.balances_after),
          attached: first.attached,
        });
      }
      return await this.#replay(within ?? this.db, request, hash);
    } catch (error) {
      // Inside the caller's transaction, which the failure has aborted, nothing can be read.
      return this.#refusalFrom(error, deltas, within ? undefined : this.db);
    }
  }

  /**
   * Opens the giving period of many members in one statement, each under its own key
   * with the request hash of an opening: an opening already made under its key (by the
   * reset job, another worker, or a first give) is a replay and counts as made; a key
   * claimed by any other request is returned as a conflict, and nothing is written for
   * it. Deadlocks and serialization failures are retried.
   */
  async openPeriods(batch: PeriodOpeningBatch): Promise<PeriodOpeningOutcome> {
    if (batch.openings.length === 0) return { opened: 0, conflicts: [] };
    for (const opening of batch.openings) {
      const invalid =
        validateIdempotencyKey(opening.key) ??
        (opening.grant === 0 ? undefined : validateAmount(opening.grant));
      // The openings are made by Plaudit's own code, never typed by anyone: a bug.
      if (invalid) throw new Error(`period opening ${opening.key}: ${invalid.message}`);
    }
    const opened = await retryOnConflict(() => executePeriodOpenings(this.db, batch));
    const conflicts =
      opened < batch.openings.length ? await conflictingOpenings(this.db, batch) : [];
    return { opened, conflicts };
  }

  /**
   * Creates, in one statement, the member accounts (and balance rows) that these members
   * lack; returns each member's allowance account.
   */
  allowanceAccounts(organizationId: number, memberIds: readonly number[]) {
    return ensureAllowanceAccounts(this.db, organizationId, memberIds);
  }

  /**
   * Posts a pending transfer: the held amount moves for good. Resolves once. Given a
   * transaction (`within`), the post is part of it and the caller retries on a deadlock.
   */
  postPending(
    request: LedgerRequest & { transferId: number },
    options: { within?: Trx } = {},
  ): Promise<LedgerResult> {
    return this.#resolvePending(request, 'post', options.within);
  }

  /** Voids a pending transfer: the held amount returns. Resolves once. As postPending. */
  voidPending(
    request: LedgerRequest & { transferId: number },
    options: { within?: Trx } = {},
  ): Promise<LedgerResult> {
    return this.#resolvePending(request, 'void', options.within);
  }

  /**
   * Reverses posted transfers with new transfers in the opposite direction (a mistake is
   * never edited or deleted). Refused when a limited account no longer holds the amount.
   * Given a transaction (`within`), the reversal is part of it, as postPending.
   */
  async reverse(
    request: LedgerRequest & { transferIds: readonly number[]; memo?: string },
    options: { within?: Trx } = {},
  ): Promise<LedgerResult> {
    const invalid = validateIdempotencyKey(request.idempotencyKey);
    if (invalid) return invalid;
    const ids = [...new Set(request.transferIds)].sort((a, b) => a - b);
    if (ids.length === 0 || ids.some((id) => !Number.isSafeInteger(id) || id <= 0)) {
      return ledgerRefusal('invalid_request', 'Name the transfers to reverse by their ids.');
    }
    const payload = { transferIds: ids, memo: request.memo ?? null };
    return this.#run(
      request,
      'reverse',
      payload,
      null,
      (work) => reverseTransfers(work, ids, request.memo ?? null),
      options.within,
    );
  }

  async #resolvePending(
    request: LedgerRequest & { transferId: number },
    operation: 'post' | 'void',
    within: Trx | undefined,
  ): Promise<LedgerResult> {
    const invalid = validateIdempotencyKey(request.idempotencyKey);
    if (invalid) return invalid;
    const { transferId } = request;
    if (!Number.isSafeInteger(transferId) || transferId <= 0) {
      return ledgerRefusal('invalid_request', 'Name the pending transfer by its id.');
    }
    const post = operation === 'post';
    return this.#run(
      request,
      operation,
      { transferId },
      transferId,
      (work) => resolvePendingTransfer(work, transferId, post),
      within,
    );
  }

  /**
   * Runs a post, void or reversal in one transaction that first claims the idempotency
   * key; a key already claimed is answered by {@link Ledger.#replay} instead.
   */
  async #run(
    request: LedgerRequest,
    operation: Exclude<LedgerOperation, 'transfer'>,
    payload: unknown,
    targetTransferId: number | null,
    work: (work: LedgerWork) => Promise<Transfer[]>,
    within?: Trx,
  ): Promise<LedgerResult> {
    const hash = requestHash(operation, payload);
    let deltas = new BalanceDeltas();
    const inTransaction = (
      body: (trx: Trx) => Promise<{ requestId: number; transfers: Transfer[] } | undefined>,
    ) => (within ? body(within) : retryOnConflict(() => this.db.transaction().execute(body)));
    try {
      const done = await inTransaction(async (trx) => {
        deltas = new BalanceDeltas();
        const claimed = await trx
          .insertInto('ledger_requests')
          .values({
            organization_id: request.organizationId,
            idempotency_key: request.idempotencyKey,
            request_hash: hash,
            operation,
            transfer_id: targetTransferId,
          })
          .onConflict((conflict) =>
            conflict.columns(['organization_id', 'idempotency_key']).doNothing(),
          )
          .returning('id')
          .executeTakeFirst();
        if (!claimed) return undefined;
        const transfers = await work({
          trx,
          organizationId: request.organizationId,
          requestId: claimed.id,
          deltas,
          accountsOf: (ids) => this.#accountsOf(trx, request.organizationId, ids),
        });
        return { requestId: claimed.id, transfers };
      });
      if (done) return ok({ ...done, replayed: false });
      return await this.#replay(within ?? this.db, request, hash);
    } catch (error) {
      // Inside the caller's transaction, which the failure has aborted, nothing can be read.
      return this.#refusalFrom(error, deltas, within ? undefined : this.db);
    }
  }

  /**
   * The answer to a key already used: the first result when the request is the same (the
   * transfers it created, as created, or the transfer it resolved), a conflict when not.
   */
  async #replay(reader: Database, request: LedgerRequest, hash: string): Promise<LedgerResult> {
    const first = await reader
      .selectFrom('ledger_requests')
      .select(['id', 'request_hash', 'operation', 'transfer_id'])
      .where('organization_id', '=', request.organizationId)
      .where('idempotency_key', '=', request.idempotencyKey)
      .executeTakeFirstOrThrow();
    if (first.request_hash !== hash) {
      return ledgerRefusal(
        'idempotency_conflict',
        `The idempotency key ${JSON.stringify(request.idempotencyKey)} was already used for a different request.`,
      );
    }
    const rows = await reader
      .selectFrom('ledger_transfers')
      .selectAll()
      .where((eb) =>
        first.transfer_id === null
          ? eb('request_id', '=', first.id)
          : eb('id', '=', first.transfer_id),
      )
      .orderBy('id')
      .execute();
    const transfers = rows.map((row) =>
      first.operation === 'transfer' ? toTransfer(asCreated(row)) : toTransfer(row),
    );
    return ok({ requestId: first.id, transfers, replayed: true });
  }

  async #refusalFrom(
    error: unknown,
    deltas: BalanceDeltas,
    reader: Database | undefined,
  ): Promise<LedgerRefusal> {
    if (error instanceof RefusalAbort) return error.refusal as LedgerRefusal;
    const shortfall =
      error instanceof BalanceShortfall ? error : BalanceShortfall.from(error, deltas);
    if (shortfall) return shortfall.refusal(reader);
    if (violatedUniqueConstraint(error) === 'ledger_transfers_reverses_transfer_id_key') {
      return alreadyReversed(null);
    }
    throw error;
  }

  /** The accounts behind these ids, all of this organization, or a refusal naming one that is not. */
  async #accountsOf(
    db: Database,
    organizationId: number,
    ids: readonly number[],
  ): Promise<Map<number, Account>> {
    const wanted = [...new Set(ids)];
    const missing = wanted.filter((id) => !this.#accounts.has(id));
    if (missing.length > 0) {
      const rows = await db
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

/** A created transfer as its request first returned it, before any later resolution. */
function asCreated(row: TransferRow): TransferRow {
  return row.status === 'posted_from_pending' || row.status === 'voided'
    ? { ...row, status: 'pending' }
    : row;
}

function assetMismatch(debit: Account, credit: Account): LedgerRefusal {
  return ledgerRefusal(
    'asset_mismatch',
    `A transfer moves one asset: account ${debit.id} holds ${debit.asset} and account ${credit.id} holds ${credit.asset}.`,
  );
}

function toBalances(rows: TransferStatementRow['balances_after']): Map<number, AccountBalance> {
  return new Map(
    rows.map((row) => [
      Number(row.account_id),
      {
        debitsPosted: row.debits_posted,
        creditsPosted: row.credits_posted,
        debitsPending: row.debits_pending,
        creditsPending: row.credits_pending,
        available: row.credits_posted - row.debits_posted - row.debits_pending,
      },
    ]),
  );
}

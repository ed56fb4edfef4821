import type { Account } from '../../src/ledger/accounts.ts';
import type { TransferSpec } from '../../src/ledger/transfer.ts';

export interface Totals {
  debitsPosted: number;
  creditsPosted: number;
  debitsPending: number;
  creditsPending: number;
}

interface ModelTransfer {
  debit: number;
  credit: number;
  amount: number;
  status: 'posted' | 'pending' | 'posted_from_pending' | 'voided';
  isReversal: boolean;
  reversed: boolean;
}

/**
 * An in-memory reference ledger: the rules of DESIGN.md "The ledger" written as plainly as
 * possible, to predict what the real ledger must answer and hold after every step.
 */
export class ReferenceLedger {
  readonly totals = new Map<number, Totals>();
  readonly transfers = new Map<number, ModelTransfer>();
  readonly #limited = new Set<number>();

  constructor(accounts: readonly Account[]) {
    for (const account of accounts) {
      this.totals.set(account.id, {
        debitsPosted: 0,
        creditsPosted: 0,
        debitsPending: 0,
        creditsPending: 0,
      });
      if (account.limited) this.#limited.add(account.id);
    }
  }

  /** The refusal code the real ledger must give, or undefined when the batch fits. */
  predictTransfer(specs: readonly TransferSpec[]): string | undefined {
    const next = this.#afterwards(
      specs.flatMap((spec) => [
        [
          spec.debitAccountId,
          spec.pending ? { debitsPending: spec.amount } : { debitsPosted: spec.amount },
        ],
        [
          spec.creditAccountId,
          spec.pending ? { creditsPending: spec.amount } : { creditsPosted: spec.amount },
        ],
      ]) as Array<[number, Partial<Totals>]>,
    );
    return next ? undefined : 'insufficient_balance';
  }

  applyTransfer(specs: readonly TransferSpec[], ids: readonly number[]): void {
    specs.forEach((spec, index) => {
      this.#add(
        spec.debitAccountId,
        spec.pending ? { debitsPending: spec.amount } : { debitsPosted: spec.amount },
      );
      this.#add(
        spec.creditAccountId,
        spec.pending ? { creditsPending: spec.amount } : { creditsPosted: spec.amount },
      );
      this.transfers.set(ids[index] as number, {
        debit: spec.debitAccountId,
        credit: spec.creditAccountId,
        amount: spec.amount,
        status: spec.pending ? 'pending' : 'posted',
        isReversal: false,
        reversed: false,
      });
    });
  }

  predictResolve(id: number): string | undefined {
    const transfer = this.transfers.get(id);
    if (!transfer) return 'not_found';
    return transfer.status === 'pending' ? undefined : 'already_resolved';
  }

  applyResolve(id: number, post: boolean): void {
    const transfer = this.transfers.get(id) as ModelTransfer;
    transfer.status = post ? 'posted_from_pending' : 'voided';
    this.#add(transfer.debit, {
      debitsPending: -transfer.amount,
      debitsPosted: post ? transfer.amount : 0,
    });
    this.#add(transfer.credit, {
      creditsPending: -transfer.amount,
      creditsPosted: post ? transfer.amount : 0,
    });
  }

  predictReverse(ids: readonly number[]): string | undefined {
    const originals = ids.map((id) => this.transfers.get(id));
    if (originals.some((transfer) => !transfer)) return 'not_found';
    const found = originals as ModelTransfer[];
    if (
      found.some(
        (t) => t.isReversal || (t.status !== 'posted' && t.status !== 'posted_from_pending'),
      )
    ) {
      return 'not_reversible';
    }
    if (found.some((t) => t.reversed)) return 'already_reversed';
    const next = this.#afterwards(
      found.flatMap((t) => [
        [t.credit, { debitsPosted: t.amount }],
        [t.debit, { creditsPosted: t.amount }],
      ]) as Array<[number, Partial<Totals>]>,
    );
    return next ? undefined : 'insufficient_balance';
  }

  applyReverse(ids: readonly number[], reversalIds: readonly number[]): void {
    ids.forEach((id, index) => {
      const original = this.transfers.get(id) as ModelTransfer;
      original.reversed = true;
      this.#add(original.credit, { debitsPosted: original.amount });
      this.#add(original.debit, { creditsPosted: original.amount });
      this.transfers.set(reversalIds[index] as number, {
        debit: original.credit,
        credit: original.debit,
        amount: original.amount,
        status: 'posted',
        isReversal: true,
        reversed: false,
      });
    });
  }

  /** The totals after these changes, or undefined if a limited account would go below zero. */
  #afterwards(changes: Array<[number, Partial<Totals>]>): Map<number, Totals> | undefined {
    const next = new Map<number, Totals>();
    for (const [id, change] of changes) {
      const current = next.get(id) ?? { ...(this.totals.get(id) as Totals) };
      current.debitsPosted += change.debitsPosted ?? 0;
      current.creditsPosted += change.creditsPosted ?? 0;
      current.debitsPending += change.debitsPending ?? 0;
      current.creditsPending += change.creditsPending ?? 0;
      next.set(id, current);
    }
    for (const [id, totals] of next) {
      if (
        this.#limited.has(id) &&
        totals.debitsPosted + totals.debitsPending > totals.creditsPosted
      ) {
        return undefined;
      }
    }
    return next;
  }

  #add(id: number, change: Partial<Totals>): void {
    const totals = this.totals.get(id) as Totals;
    totals.debitsPosted += change.debitsPosted ?? 0;
    totals.creditsPosted += change.creditsPosted ?? 0;
    totals.debitsPending += change.debitsPending ?? 0;
    totals.creditsPending += change.creditsPending ?? 0;
  }
}

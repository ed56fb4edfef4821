import { MAX_TRANSFERS_PER_REQUEST } from './limits.ts';
import { type LedgerRefusal, ledgerRefusal } from './refusals.ts';
import type { TransferSpec } from './transfer.ts';

const KINDS = new Set(['allowance_grant', 'allowance_expire', 'kudos', 'redemption', 'adjustment']);

export function validateIdempotencyKey(key: unknown): LedgerRefusal | undefined {
  if (typeof key !== 'string' || key.length === 0 || key.length > 300) {
    return ledgerRefusal(
      'invalid_request',
      'An idempotency key of 1 to 300 characters is required.',
    );
  }
  return undefined;
}

export function validateAmount(amount: unknown): LedgerRefusal | undefined {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    return ledgerRefusal(
      'invalid_amount',
      `The amount must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}; got ${String(amount)}.`,
    );
  }
  return undefined;
}

function isAccountId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Checks the shape of a batch of transfers before any database work. */
export function validateTransferSpecs(specs: readonly TransferSpec[]): LedgerRefusal | undefined {
  if (!Array.isArray(specs) || specs.length === 0 || specs.length > MAX_TRANSFERS_PER_REQUEST) {
    return ledgerRefusal(
      'invalid_request',
      `A request holds 1 to ${MAX_TRANSFERS_PER_REQUEST} transfers; got ${Array.isArray(specs) ? specs.length : 'none'}.`,
    );
  }
  for (const spec of specs) {
    const badAmount = validateAmount(spec.amount);
    if (badAmount) return badAmount;
    if (!isAccountId(spec.debitAccountId) || !isAccountId(spec.creditAccountId)) {
      return ledgerRefusal(
        'unknown_account',
        'Every transfer needs a debit and a credit account id.',
      );
    }
    if (spec.debitAccountId === spec.creditAccountId) {
      return ledgerRefusal(
        'invalid_request',
        'A transfer cannot debit and credit the same account.',
      );
    }
    if (!KINDS.has(spec.kind)) {
      return ledgerRefusal(
        'invalid_request',
        `Unknown transfer kind ${JSON.stringify(spec.kind)}.`,
      );
    }
    if (spec.memo !== undefined && (typeof spec.memo !== 'string' || spec.memo.length > 2000)) {
      return ledgerRefusal('invalid_request', 'A memo is text of at most 2000 characters.');
    }
  }
  return undefined;
}

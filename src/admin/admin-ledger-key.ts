import { createHash } from 'node:crypto';

/**
 * The ledger idempotency key of an admin action, made from the caller's key: prefixed by
 * the action, so it can never meet a key of kudos, redemptions or another admin action,
 * and hashed when it would pass the ledger's 300 characters.
 */
export function adminLedgerKey(action: 'adjustment' | 'reversal', key: string): string {
  const whole = `admin-${action}:${key}`;
  return whole.length <= 300
    ? whole
    : `admin-${action}:sha256:${createHash('sha256').update(key).digest('hex')}`;
}

import { isConnectionLost } from './connection-errors.ts';

const RETRYABLE_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

export function isRetryableDatabaseError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    RETRYABLE_CODES.has(String((error as { code?: unknown }).code))
  );
}

/**
 * A transaction whose connection was lost is run again this many times at most: a lost
 * connection (a restart, a failover, an idle connection ended) is usually replaced at once,
 * while a server that stays away should fail the work quickly rather than hold it.
 */
const CONNECTION_ATTEMPTS = 3;

/**
 * Runs a transaction again when Postgres aborted it for a deadlock or a serialization
 * failure, with a short random backoff so that the contenders do not collide again, or
 * when its connection was lost. Only idempotent work may be retried after a lost
 * connection: its commit may have happened unseen, and the second run must then find the
 * first one's result (every ledger write claims its idempotency key first).
 */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const lost = isConnectionLost(error);
      const retry = lost ? attempt < CONNECTION_ATTEMPTS : isRetryableDatabaseError(error);
      if (attempt >= attempts || !retry) throw error;
      const backoffMs = lost ? 50 + Math.random() * 100 : Math.random() * 5 * 2 ** attempt;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }
}

/** The constraint named by a unique-violation error, if that is what the error is. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && typeof constraint === 'string' ? constraint : undefined;
}

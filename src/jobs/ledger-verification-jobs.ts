import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { describeViolation } from '../ledger/ledger-violations.ts';
import { verifyLedger } from '../verification/ledger-verification.ts';
import { recordVerification } from '../verification/verification-record.ts';
import type { Jobs } from './job-queue.ts';
import { keepTrying } from './keep-trying.ts';
import { kudosRollupHandlers } from './kudos-rollup-jobs.ts';

export const VERIFY_LEDGER = 'verify-ledger';

/** The id of the verification's job scheduler on the ledger queue. */
export const LEDGER_VERIFICATION_ID = 'ledger-verification';

/**
 * Puts the verification's schedule in line with the configured cron pattern (UTC), or
 * removes it when the pattern is `off`.
 */
export async function scheduleLedgerVerification(jobs: Jobs, pattern: string): Promise<void> {
  if (pattern === 'off') {
    await jobs.unschedule('ledger', LEDGER_VERIFICATION_ID);
    return;
  }
  await jobs.schedule('ledger', {
    id: LEDGER_VERIFICATION_ID,
    pattern,
    timezone: 'UTC',
    job: { name: VERIFY_LEDGER, data: {} },
  });
}

/**
 * Schedules the verification in the background, trying again while Redis is away, as
 * the other schedules are kept. Resolves when scheduled or stopped.
 */
export async function keepLedgerVerification(
  jobs: Jobs,
  pattern: string,
  logger: Logger,
  signal: AbortSignal,
  retryMs = 5000,
): Promise<void> {
  await keepTrying(
    'the ledger verification',
    () => scheduleLedgerVerification(jobs, pattern),
    logger,
    signal,
    retryMs,
  );
}

/**
 * Takes the ledger queue's jobs in this process: a verification of every organization,
 * whose result is recorded in the database (where /metrics and the console read it) and
 * whose violations are logged, one line each. Violations are what the job reports, not a
 * failure of it: only a fault (the database away) fails it, to be tried again.
 */
export function startLedgerVerificationWorker(jobs: Jobs, db: Database, logger: Logger): void {
  jobs.work(
    'ledger',
    {
      [VERIFY_LEDGER]: async () => {
        const result = await verifyLedger(db, {
          onViolation: (violation) =>
            logger.error(
              { organizationId: violation.organizationId, kind: violation.kind },
              describeViolation(violation),
            ),
        });
        await recordVerification(db, result);
        const ms = result.finishedAt.getTime() - result.startedAt.getTime();
        const summary = { organizations: result.organizations, violations: result.violations, ms };
        if (result.violations > 0) logger.error(summary, 'ledger verified: violations found');
        else logger.info(summary, 'ledger verified: no violations');
      },
      // The kudos roll-ups (migrations/0027) are the books' upkeep too, one at a time.
      ...kudosRollupHandlers(db, logger),
    },
    // One at a time: a second run at once would only read the same rows again.
    { concurrency: 1 },
  );
}

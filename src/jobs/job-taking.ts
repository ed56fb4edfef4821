import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { keepRedemptionSweep, startRedemptionWorkers } from '../rewards/redemption-jobs.ts';
import type { RewardDesk } from '../rewards/reward-desk.ts';
import type { WebhookAllowList } from '../rewards/webhook-addresses.ts';
import type { Jobs } from './job-queue.ts';
import { keepKudosRollups } from './kudos-rollup-jobs.ts';
import {
  keepLedgerVerification,
  startLedgerVerificationWorker,
} from './ledger-verification-jobs.ts';
import { keepSchedules, startWorkers } from './workers.ts';

export interface JobTaking {
  readonly config: Config;
  readonly db: Database;
  readonly services: RecognitionServices;
  readonly jobs: Jobs;
  readonly desk: RewardDesk;
  readonly webhookAllowList: WebhookAllowList;
  readonly logger: Logger;
}

/**
 * What a process that takes jobs (a worker, or `PLAUDIT_ROLE=all`) runs: the allowance,
 * redemption and ledger verification queues. The notifications queue is the web side's.
 */
export function takeJobs({
  config,
  db,
  services,
  jobs,
  desk,
  webhookAllowList,
  logger,
}: JobTaking) {
  startWorkers({ db, services, jobs, logger });
  startRedemptionWorkers(jobs, desk, {
    webhookSecret: config.REWARD_WEBHOOK_SECRET,
    allowList: webhookAllowList,
    logger,
  });
  startLedgerVerificationWorker(jobs, db, logger);
}

/**
 * Keeps the job schedules until `signal` stops them: every process keeps the allowance
 * resets and the redemption sweep (a web process creates organizations, and a worker may
 * have started before it); the ledger verification is kept where it runs, by processes
 * that take jobs, and so are the kudos roll-ups. Resolves once stopped.
 */
export async function keepJobSchedules(
  options: { config: Config; db: Database; jobs: Jobs; logger: Logger; takesJobs: boolean },
  signal: AbortSignal,
): Promise<void> {
  const { config, db, jobs, logger } = options;
  await Promise.all([
    keepSchedules(jobs, db, logger, signal),
    keepRedemptionSweep(jobs, logger, signal),
    ...(options.takesJobs
      ? [
          keepLedgerVerification(jobs, config.LEDGER_VERIFY_CRON, logger, signal),
          keepKudosRollups(jobs, logger, signal),
        ]
      : []),
  ]);
}

import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { resetAllowances } from './allowance-reset.ts';
import {
  ALLOWANCE_RESET,
  type AllowanceResetData,
  scheduleAllAllowanceResets,
} from './allowance-schedules.ts';
import { BullJobs } from './bullmq-jobs.ts';
import { InlineJobs } from './inline-jobs.ts';
import type { Jobs } from './job-queue.ts';

/** BullMQ when Redis is configured; the inline runner otherwise (local mode). */
export function openJobs(config: Config, logger: Logger): Jobs {
  return config.REDIS_URL
    ? new BullJobs({
        url: config.REDIS_URL,
        prefix: config.REDIS_PREFIX,
        lockDurationMs: config.JOBS_LOCK_MS,
        logger,
      })
    : new InlineJobs(logger);
}

export interface WorkerDependencies {
  readonly db: Database;
  readonly services: RecognitionServices;
  readonly jobs: Jobs;
  readonly logger: Logger;
}

/** Takes the queues' jobs in this process, and puts every organization's schedule in place. */
export async function startWorkers({ db, services, jobs, logger }: WorkerDependencies) {
  jobs.work(
    'allowance',
    {
      [ALLOWANCE_RESET]: async (job) => {
        const { organizationId } = job.data as AllowanceResetData;
        const started = performance.now();
        const result = await resetAllowances(db, services, organizationId, {
          onProgress: (progress) => job.updateProgress({ ...progress }),
        });
        logger.info(
          { organizationId, ...result, ms: Math.round(performance.now() - started) },
          'allowance reset',
        );
      },
    },
    { concurrency: 2 },
  );
  const organizations = await scheduleAllAllowanceResets(jobs, db);
  logger.info({ organizations }, 'allowance resets scheduled');
}

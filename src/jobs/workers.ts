import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { resetAllowances } from './allowance-reset.ts';
import {
  ALLOWANCE_RESET,
  type AllowanceResetData,
  SCHEDULE_ALLOWANCE_RESETS,
  scheduleAllAllowanceResets,
  scheduleResetUpkeep,
} from './allowance-schedules.ts';
import { InlineJobs } from './inline-jobs.ts';
import type { Jobs } from './job-queue.ts';
import { keepTrying } from './keep-trying.ts';

/**
 * BullMQ when Redis is configured; the inline runner otherwise (local mode), which then
 * does not load BullMQ (a sixth of a second of a start on a 2-core machine).
 */
export async function openJobs(config: Config, logger: Logger): Promise<Jobs> {
  if (!config.REDIS_URL) return new InlineJobs(logger);
  const { BullJobs } = await import('./bullmq-jobs.ts');
  return new BullJobs({
    url: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    lockDurationMs: config.JOBS_LOCK_MS,
    // A job cut short at shutdown is taken over once its lock expires: no use waiting longer.
    closeGraceMs: config.JOBS_LOCK_MS,
    logger,
  });
}

export interface WorkerDependencies {
  readonly db: Database;
  readonly services: RecognitionServices;
  readonly jobs: Jobs;
  readonly logger: Logger;
}

/**
 * Batches of one allowance reset written at once. A reset of a large organization is
 * bound by the database's CPU, one core per batch statement: with two at once it took
 * about two thirds of the time on the benchmark's two-core server (bench/reset.ts).
 */
const RESET_PARALLEL_BATCHES = 2;

/** Takes the queues' jobs in this process. */
export function startWorkers({ db, services, jobs, logger }: WorkerDependencies): void {
  jobs.work(
    'allowance',
    {
      [ALLOWANCE_RESET]: async (job) => {
        const { organizationId } = job.data as AllowanceResetData;
        const started = performance.now();
        const result = await resetAllowances(db, services, organizationId, {
          parallelBatches: RESET_PARALLEL_BATCHES,
          onProgress: (progress) => job.updateProgress({ ...progress }),
        });
        logger.info(
          { organizationId, ...result, ms: Math.round(performance.now() - started) },
          'allowance reset',
        );
      },
      [SCHEDULE_ALLOWANCE_RESETS]: async () => {
        const organizations = await scheduleAllAllowanceResets(jobs, db);
        logger.debug({ organizations }, 'allowance reset schedules kept');
      },
    },
    { concurrency: 2 },
  );
}

/**
 * Puts every organization's reset schedule in line with its settings, in the background,
 * and schedules the job that does so again every few minutes (for organizations created
 * meanwhile): a process must start (and give kudos) while Redis is away, so this tries
 * again every few seconds until Redis answers or the process stops. Resolves when done or
 * stopped.
 */
export async function keepSchedules(
  jobs: Jobs,
  db: Database,
  logger: Logger,
  signal: AbortSignal,
  retryMs = 5000,
): Promise<void> {
  await keepTrying(
    'the allowance resets',
    async () => {
      const organizations = await scheduleAllAllowanceResets(jobs, db);
      await scheduleResetUpkeep(jobs);
      logger.info({ organizations }, 'allowance resets scheduled');
    },
    logger,
    signal,
    retryMs,
  );
}

import { pino } from 'pino';
import type { Config } from './config.ts';
import { type Database, openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import type { Jobs } from './jobs/job-queue.ts';
import { keepSchedules, openJobs, startWorkers } from './jobs/workers.ts';
import { createRecognitionServices } from './recognition/recognition-services.ts';
import { keepRedemptionSweep, startRedemptionWorkers } from './rewards/redemption-jobs.ts';
import { RewardDesk } from './rewards/reward-desk.ts';

export interface RunningWorker {
  readonly db: Database;
  readonly jobs: Jobs;
  /** Stops taking jobs, lets the running ones finish, then closes Redis and the database. */
  close(): Promise<void>;
}

/** A worker process (`PLAUDIT_ROLE=worker`, `npm run worker`): jobs only, no HTTP. */
export async function startWorker(config: Config): Promise<RunningWorker> {
  const logger = pino({ level: config.LOG_LEVEL, redact: ['*.password', '*.token', '*.secret'] });
  if (!config.DATABASE_URL) throw new Error('a worker process needs DATABASE_URL');
  const db = await openDatabase({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  await migrateToLatest(db);
  const services = createRecognitionServices(db);
  const jobs = openJobs(config, logger);
  startWorkers({ db, services, jobs, logger });
  startRedemptionWorkers(jobs, new RewardDesk(db, services.ledger, jobs, logger), {
    webhookSecret: config.REWARD_WEBHOOK_SECRET,
    logger,
  });
  const stopScheduling = new AbortController();
  const scheduling = Promise.all([
    keepSchedules(jobs, db, logger, stopScheduling.signal),
    keepRedemptionSweep(jobs, logger, stopScheduling.signal),
  ]);
  logger.info({ prefix: config.REDIS_PREFIX }, 'Plaudit worker is taking jobs');
  return {
    db,
    jobs,
    async close() {
      stopScheduling.abort();
      await scheduling;
      await jobs.close();
      await db.destroy();
      logger.info('Plaudit worker stopped');
    },
  };
}

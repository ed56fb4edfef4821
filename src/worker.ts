import { type Config, ConfigError } from './config.ts';
import { openMigratedDatabase } from './db/configured-database.ts';
import type { Database } from './db/database.ts';
import { FailedAuthentications } from './http/failed-authentications.ts';
import { closeHttpServer, listenHttp } from './http/listen.ts';
import { PlauditMetrics } from './http/metrics.ts';
import { openRateLimits } from './http/rate-limit.ts';
import { createHttpApp } from './http/server.ts';
import type { Jobs } from './jobs/job-queue.ts';
import { keepJobSchedules, takeJobs } from './jobs/job-taking.ts';
import { openJobs } from './jobs/workers.ts';
import { createLogger } from './logger.ts';
import { takeNotifications } from './notifications/notification-senders.ts';
import { createRecognitionServices } from './recognition/recognition-services.ts';
import { RewardDesk } from './rewards/reward-desk.ts';
import { WebhookAllowList } from './rewards/webhook-addresses.ts';
import type { TeamsCredentialsFactory } from './teams/teams-sends.ts';

export interface RunningWorker {
  readonly db: Database;
  readonly jobs: Jobs;
  /** Where its /healthz, /readyz and /metrics answer (WORKER_PORT). */
  readonly url: string;
  /**
   * Stops taking jobs, lets the running ones finish, stops its HTTP listener, then closes
   * Redis and the database.
   */
  close(): Promise<void>;
}

export interface WorkerOptions {
  /**
   * How the Teams bot obtains tokens for its proactive messages; botbuilder's own (Azure
   * AD, with TEAMS_APP_PASSWORD) unless given. Tests point it at a local token endpoint.
   */
  readonly teamsCredentials?: TeamsCredentialsFactory;
}

/**
 * A worker process (`PLAUDIT_ROLE=worker`, `npm run worker`): jobs, the notifications
 * included (sent with the chat platforms' clients, whose requests the web processes
 * serve), and a small HTTP listener on WORKER_PORT for health, readiness and Prometheus
 * (no chat endpoints, no API).
 */
export async function startWorker(
  config: Config,
  options: WorkerOptions = {},
): Promise<RunningWorker> {
  const logger = createLogger(config.LOG_LEVEL);
  if (!config.DATABASE_URL) throw new Error('a worker process needs DATABASE_URL');
  const { db } = await openMigratedDatabase(config, logger);
  const services = createRecognitionServices(db);
  const jobs = await openJobs(config, logger);
  // Observes the jobs before any is taken, so every run is counted.
  const metrics = new PlauditMetrics(jobs, logger, db);
  // Its /metrics takes a token too: wrong guesses are limited as on web processes.
  const rateLimits = openRateLimits(
    { redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX },
    logger,
  );
  const failures = FailedAuthentications.within(rateLimits, config.API_AUTH_FAILURE_LIMIT);
  const app = createHttpApp({
    db,
    logger,
    pingRedis: () => jobs.ping(),
    mount: [metrics.routes(config, failures)],
    observeRequests: metrics.middleware,
    trustProxy: config.TRUST_PROXY,
  });
  // Listening first: a port already taken stops the process before it takes any job.
  const http = await listenHttp(app, config.WORKER_PORT, config.HOST).catch(
    async (error: NodeJS.ErrnoException) => {
      await jobs.close();
      await rateLimits.close();
      await db.destroy();
      if (error.code !== 'EADDRINUSE') throw error;
      throw new ConfigError(
        `WORKER_PORT ${config.WORKER_PORT} is taken on ${config.HOST}: each worker process on a machine needs its own (0 takes any free one).`,
      );
    },
  );
  const webhookAllowList = WebhookAllowList.of(config.REWARD_WEBHOOK_ALLOWED_HOSTS);
  const desk = new RewardDesk(db, services.ledger, jobs, logger, { webhookAllowList });
  // The chat platforms' clients first (Slack's bot token is checked with `auth.test`).
  const senders = await takeNotifications({
    config,
    db,
    services,
    jobs,
    logger,
    teamsCredentials: options.teamsCredentials,
  });
  takeJobs({ config, db, services, jobs, desk, webhookAllowList, logger });
  const stopScheduling = new AbortController();
  const scheduling = keepJobSchedules(
    { config, db, jobs, logger, takesJobs: true },
    stopScheduling.signal,
  );
  logger.info(
    { prefix: config.REDIS_PREFIX, url: http.url, metrics: `${http.url}/metrics` },
    'Plaudit worker is taking jobs',
  );
  return {
    db,
    jobs,
    url: http.url,
    async close() {
      stopScheduling.abort();
      await scheduling;
      await jobs.close();
      await senders.close();
      // Answering until the jobs are done: a scrape meanwhile sees them finish.
      await closeHttpServer(http.server);
      await rateLimits.close();
      await db.destroy();
      logger.info('Plaudit worker stopped');
    },
  };
}

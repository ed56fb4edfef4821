import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { openJobs } from '../../src/jobs/workers.ts';
import { createLogger } from '../../src/logger.ts';
import { takeNotifications } from '../../src/notifications/notification-senders.ts';
import { createRecognitionServices } from '../../src/recognition/recognition-services.ts';
import type { TeamsCredentialsFactory } from '../../src/teams/teams-sends.ts';

export interface NotificationTaker {
  /** Stops taking notification jobs, lets the running ones finish, and closes what it opened. */
  close(): Promise<void>;
}

/**
 * The notifications side of a worker process, beside a web process started with `env`
 * (same database, Redis and prefix, same chat platforms): the worker's own
 * `takeNotifications`, without the rest of a worker, which would sweep and reset every
 * organization of the database the test files share.
 */
export async function takeNotificationsBeside(
  env: Record<string, string>,
  teamsCredentials?: TeamsCredentialsFactory,
): Promise<NotificationTaker> {
  const config = parseConfig({
    LOG_LEVEL: 'silent',
    ...env,
    PLAUDIT_ROLE: 'worker',
    WORKER_PORT: '0',
  });
  const logger = createLogger(config.LOG_LEVEL);
  const db = await openDatabase({ url: config.DATABASE_URL as string, poolSize: 4 });
  const jobs = await openJobs(config, logger);
  let senders: { close(): Promise<void> };
  try {
    senders = await takeNotifications({
      config,
      db,
      services: createRecognitionServices(db),
      jobs,
      logger,
      teamsCredentials,
    });
  } catch (error) {
    await jobs.close();
    await db.destroy();
    throw error;
  }
  return {
    async close() {
      await jobs.close();
      await senders.close();
      await db.destroy();
    },
  };
}

/** A web process and, beside it, a worker's notification taker: what a deployment runs. */
export interface WebBesideTaker {
  readonly plaudit: RunningPlaudit;
  /** Closes the web process, then the taker. */
  close(): Promise<void>;
}

/** Starts a web process with `env` and the notifications side of a worker beside it. */
export async function startWebBesideTaker(env: Record<string, string>): Promise<WebBesideTaker> {
  const plaudit = await startPlaudit(parseConfig(env));
  let taker: NotificationTaker;
  try {
    taker = await takeNotificationsBeside(env);
  } catch (error) {
    await plaudit.close();
    throw error;
  }
  return {
    plaudit,
    async close() {
      await plaudit.close();
      await taker.close();
    },
  };
}

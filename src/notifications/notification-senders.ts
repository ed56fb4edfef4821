import type { Logger } from 'pino';
import { type Config, localMode, slackOn } from '../config.ts';
import { KudosAnnouncements } from '../core/announcements.ts';
import { RecipientNotifications } from '../core/notifier.ts';
import type { Database } from '../db/database.ts';
import type { Jobs } from '../jobs/job-queue.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import type { TeamsCredentialsFactory } from '../teams/teams-sends.ts';
import { kudosNotificationHandlers } from './kudos-notifications.ts';

/** Notification jobs a process runs at once (each also waits for its turn, in Redis). */
const NOTIFICATION_CONCURRENCY = 4;

/** Takes the notifications queue with `announcements`, whose platforms are registered. */
export function workNotifications(options: {
  readonly db: Database;
  readonly jobs: Jobs;
  readonly announcements: KudosAnnouncements;
  readonly logger: Logger;
}): void {
  const { db, jobs, announcements, logger } = options;
  jobs.work('notifications', kudosNotificationHandlers(db, jobs, announcements, logger), {
    concurrency: NOTIFICATION_CONCURRENCY,
  });
}

/** The chat platforms' clients of a worker process. */
export interface NotificationSenders {
  /** Closes what they opened; after the jobs are closed, since running jobs use them. */
  close(): Promise<void>;
}

/**
 * A worker process's side of the notifications: the clients of the chat platforms
 * configured (Slack's Web API with the installations' tokens, Teams' Bot Framework adapter
 * with the app's credentials; the Emulator's in local mode, as web serves it), built to
 * send and never to serve, and the notifications queue taken with them. The web processes
 * only answer: the sends that follow a command cost them nothing.
 */
export async function takeNotifications(options: {
  readonly config: Config;
  readonly db: Database;
  readonly services: RecognitionServices;
  readonly jobs: Jobs;
  readonly logger: Logger;
  readonly teamsCredentials?: TeamsCredentialsFactory;
}): Promise<NotificationSenders> {
  const { config, db, services, logger } = options;
  const announcements = new KudosAnnouncements(new RecipientNotifications());
  let slack: { close(): Promise<void> } | undefined;
  // Loaded only where configured, as the web process loads its adapters.
  if (slackOn(config)) {
    const { startSlackSends } = await import('../slack/slack-sends.ts');
    slack = await startSlackSends({ config, db, services, logger, announcements });
  }
  if (config.TEAMS_APP_ID || localMode(config)) {
    const { startTeamsSends } = await import('../teams/teams-sends.ts');
    startTeamsSends({
      config,
      db,
      services,
      logger,
      announcements,
      credentials: options.teamsCredentials,
    });
  }
  workNotifications({ db, jobs: options.jobs, announcements, logger });
  return { close: async () => slack?.close() };
}

import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { KudosAnnouncements } from '../core/announcements.ts';
import { WorkSlots } from '../core/work-slots.ts';
import type { Database } from '../db/database.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { openHomeTabs } from './open-home-tabs.ts';
import { SlackAnnouncer } from './slack-announcer.ts';
import { slackClientOptions, slackTokenSource } from './slack-clients.ts';
import { SlackHome } from './slack-home.ts';
import { SlackInstallations } from './slack-installations.ts';
import { SlackNotifier } from './slack-notifier.ts';

/** Notification calls (celebrations, DMs, Home tabs) in flight at once. */
const NOTIFICATION_SLOTS = 2;

export interface SlackSends {
  readonly notifier: SlackNotifier;
  readonly home: SlackHome;
  readonly announcer: SlackAnnouncer;
  /** Closes what they opened (the Redis connection of the Home tabs opened). */
  close(): Promise<void>;
}

/**
 * What a process sends to Slack in the background, with the workspaces' clients: messages
 * (notifier), Home tabs, and the kudos' celebrations and direct messages (announcer),
 * registered with `announcements` for the notifications jobs. They share a few slots, so
 * background calls never crowd out answers.
 */
export function slackSends(options: {
  readonly config: Config;
  readonly db: Database;
  readonly installations: SlackInstallations;
  readonly services: RecognitionServices;
  readonly logger: Logger;
  readonly announcements: KudosAnnouncements;
}): SlackSends {
  const { config, db, installations, services, logger } = options;
  const slots = new WorkSlots(NOTIFICATION_SLOTS);
  const notifier = new SlackNotifier(slots, config.SLACK_SEND_TURN_MS);
  // Opened in a web process (Slack tells it), refreshed from whichever process sends.
  const tabs = openHomeTabs({ url: config.REDIS_URL, prefix: config.REDIS_PREFIX }, logger);
  const home = new SlackHome(installations, services, config.SLACK_COMMAND, logger, slots, tabs);
  const announcer = new SlackAnnouncer({ db, installations, services, notifier, home });
  options.announcements.recipients.register(announcer.recipientNotifier);
  options.announcements.celebrateOn('slack', announcer.celebration);
  return { notifier, home, announcer, close: () => tabs.close() };
}

/**
 * Slack for a worker process's notifications jobs: the workspaces' Web API clients, from
 * SLACK_BOT_TOKEN or the OAuth installs, and what is sent with them (see
 * {@link slackSends}). No Bolt app, no HTTP endpoint and no Socket Mode connection: the
 * web processes serve Slack's requests.
 */
export async function startSlackSends(options: {
  readonly config: Config;
  readonly db: Database;
  readonly services: RecognitionServices;
  readonly logger: Logger;
  readonly announcements: KudosAnnouncements;
}): Promise<SlackSends> {
  const { config, db, logger } = options;
  const clientOptions = slackClientOptions(config, logger);
  const source = await slackTokenSource(config, db, clientOptions, logger);
  const installations = new SlackInstallations(db, source, clientOptions, logger);
  return slackSends({ ...options, installations });
}

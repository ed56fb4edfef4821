import * as bolt from '@slack/bolt';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { GroupMirror } from '../admin/group-admin.ts';
import type { Config } from '../config.ts';
import type { KudosAnnouncements } from '../core/announcements.ts';
import type { CommandAdmission } from '../core/command-admission.ts';
import type { CommandRouter } from '../core/command-router.ts';
import { WorkSlots } from '../core/work-slots.ts';
import type { Database } from '../db/database.ts';
import type { OnFirstSight } from '../directory/first-sight.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { receiverFailures } from './receiver-failures.ts';
import { SLACK_ARRIVAL, slackArrival } from './slack-arrival.ts';
import { SlackDirectory } from './slack-directory.ts';
import { SlackGroupMirror } from './slack-group-mirror.ts';
import { SlackHandlers } from './slack-handlers.ts';
import { SlackHome } from './slack-home.ts';
import { SlackNotifier } from './slack-notifier.ts';
import { SlackPeopleEvents } from './slack-people.ts';
import { connectWorkspace, findWorkspace, type SlackWorkspace } from './slack-workspaces.ts';

const { App, AuthorizationError, ExpressReceiver, LogLevel } = bolt;

/** Notification calls (celebrations, DMs, Home tabs) in flight at once. */
const NOTIFICATION_SLOTS = 2;

export interface SlackAdapterOptions {
  readonly config: Config & { SLACK_BOT_TOKEN: string };
  readonly db: Database;
  readonly router: CommandRouter;
  readonly services: RecognitionServices;
  readonly logger: Logger;
  /** The announcements of kudos; the adapter registers Slack's celebration and notifier. */
  readonly announcements: KudosAnnouncements;
  /** Called once a command gave kudos. */
  readonly onGiven: () => void;
  /** Web API retries; tests that fake failures set 0. @defaultValue 2 */
  readonly apiRetries?: number;
  /** Decides whether a command is taken or shed, shared by every chat platform. */
  readonly admission: CommandAdmission;
  /** What comes with a user's first sight: the admins PLAUDIT_INITIAL_ADMINS names. */
  readonly onFirstSight?: OnFirstSight;
}

export interface SlackAdapter {
  /** The routes of HTTP mode (`POST /slack/events`); absent in Socket Mode. */
  readonly routes: Router | undefined;
  readonly workspace: SlackWorkspace;
  /** Mirrors the workspace's user groups as Plaudit groups (`groups sync`). */
  readonly groupMirror: GroupMirror;
  /** Resolves when the notifications of every answered command have been sent. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The Slack adapter (Bolt): signed HTTP requests on /slack/events, or Socket Mode when an
 * app token is set. It connects the bot token's workspace at start (`auth.test`), refuses
 * requests from any other workspace with 401, and turns each slash command into a core
 * command for the shared router.
 */
export async function startSlackAdapter(options: SlackAdapterOptions): Promise<SlackAdapter> {
  const { config, db, router, services, logger } = options;
  const token = config.SLACK_BOT_TOKEN;
  const client = new bolt.webApi.WebClient(token, {
    slackApiUrl: config.SLACK_API_URL,
    retryConfig: { retries: options.apiRetries ?? 2, factor: 2, minTimeout: 200 },
    logger: boltLogger(logger),
  });
  const auth = await client.auth.test().catch((error: { data?: { error?: string } }) => {
    throw new Error(
      `Slack refused SLACK_BOT_TOKEN (${error.data?.error ?? String(error)}); check the token.`,
    );
  });
  const workspace = await connectWorkspace(db, {
    teamId: auth.team_id as string,
    teamName: auth.team ?? '',
    enterpriseId: auth.enterprise_id ?? null,
    botUserId: auth.user_id as string,
  });
  const directory = new SlackDirectory(db, client, logger, options.onFirstSight);
  // Background Web API calls run a few at a time, so they never crowd out answers.
  const slots = new WorkSlots(NOTIFICATION_SLOTS);
  const notifier = new SlackNotifier(client, slots);
  const home = new SlackHome(client, services, config.SLACK_COMMAND, logger, slots);

  const socketMode = config.SLACK_APP_TOKEN !== undefined;
  const receiver = socketMode
    ? undefined
    : new ExpressReceiver({
        signingSecret: config.SLACK_SIGNING_SECRET as string,
        endpoints: '/slack/events',
        processBeforeResponse: false,
        processEventErrorHandler: receiverFailures(logger),
        // Each handler's answer is due by when Slack sent the request, not by when it ran.
        customPropertiesExtractor: (req) => ({ [SLACK_ARRIVAL]: slackArrival(req) }),
        logger: boltLogger(logger),
      });
  const app = new App({
    ...(receiver ? { receiver } : { socketMode: true, appToken: config.SLACK_APP_TOKEN }),
    authorize: async ({ teamId }) => {
      // Read at each request: an admin may link the workspace to another organization.
      const known = teamId ? await findWorkspace(db, teamId) : undefined;
      if (!known) {
        throw new AuthorizationError(
          `workspace ${teamId} is not connected`,
          new Error('unknown team'),
        );
      }
      return {
        botToken: token,
        botUserId: known.botUserId,
        teamId: known.teamId,
        workspace: known,
      };
    },
    clientOptions: { slackApiUrl: config.SLACK_API_URL },
    tokenVerificationEnabled: false,
    logger: boltLogger(logger),
  });

  const handlers = new SlackHandlers({
    db,
    client,
    router,
    services,
    directory,
    notifier,
    home,
    logger,
    commandName: config.SLACK_COMMAND,
    workspace,
    onGiven: options.onGiven,
    admission: options.admission,
  });
  handlers.register(app);
  const groupMirror = new SlackGroupMirror({ db, client, directory, workspace, logger });
  groupMirror.register(app);
  const people = new SlackPeopleEvents(directory, logger);
  people.register(app);
  options.announcements.recipients.register(handlers.recipientNotifier);
  options.announcements.celebrateOn('slack', handlers.celebration);

  if (socketMode) await app.start();
  logger.info({ team: workspace.teamId, mode: socketMode ? 'socket' : 'http' }, 'Slack connected');
  groupMirror.start();
  return {
    routes: receiver?.router as Router | undefined,
    workspace,
    groupMirror,
    settled: async () => {
      await handlers.settled();
      await groupMirror.settled();
      await people.settled();
    },
    async stop() {
      if (socketMode) await app.stop();
    },
  };
}

/** Bolt's and the Web API client's log lines, into the process's own structured log. */
function boltLogger(logger: Logger): bolt.Logger {
  const child = logger.child({ component: 'slack' });
  let level = LogLevel.INFO;
  return {
    debug: (...messages: unknown[]) => {
      const text = messages.map(String).join(' ');
      // The Web API client logs whole request bodies at debug: a direct message's text
      // (a console sign-in link) is a secret, so bodies never reach the log.
      if (!/^http request body/i.test(text)) child.debug(text);
    },
    info: (...messages: unknown[]) => child.info(messages.map(String).join(' ')),
    warn: (...messages: unknown[]) => child.warn(messages.map(String).join(' ')),
    error: (...messages: unknown[]) => child.error(messages.map(String).join(' ')),
    setLevel: (next: bolt.LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

import * as bolt from '@slack/bolt';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { GroupMirror } from '../admin/group-admin.ts';
import { type Config, slackOAuth } from '../config.ts';
import type { KudosAnnouncements } from '../core/announcements.ts';
import type { CommandAdmission } from '../core/command-admission.ts';
import type { CommandRouter } from '../core/command-router.ts';
import type { Database } from '../db/database.ts';
import type { OnFirstSight } from '../directory/first-sight.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { receiverFailures } from './receiver-failures.ts';
import { SLACK_ARRIVAL, slackArrival } from './slack-arrival.ts';
import { SlackBoosts } from './slack-boosts.ts';
import { boltLogger, fixedInstallation, slackClientOptions } from './slack-clients.ts';
import { SlackDirectory } from './slack-directory.ts';
import { SlackGroupMirror } from './slack-group-mirror.ts';
import { SlackHandlers } from './slack-handlers.ts';
import { SlackInstallations, WORKSPACE_UNREAD } from './slack-installations.ts';
import { SlackOAuth } from './slack-oauth.ts';
import { SlackPeopleEvents } from './slack-people.ts';
import { SlackReactions } from './slack-reactions.ts';
import { slackSends } from './slack-sends.ts';
import { SlackUninstalls } from './slack-uninstalls.ts';
import { allWorkspaces, type SlackWorkspace } from './slack-workspaces.ts';

const { App, AuthorizationError, ExpressReceiver } = bolt;

export interface SlackAdapterOptions {
  readonly config: Config;
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
  /** The routes of HTTP mode (`POST /slack/events`, and OAuth's install paths); absent in Socket Mode. */
  readonly routes: Router | undefined;
  /** SLACK_BOT_TOKEN's workspace; undefined in OAuth mode, where workspaces come as they install. */
  readonly workspace: SlackWorkspace | undefined;
  /** The installations and the Web API client of each workspace. */
  readonly installations: SlackInstallations;
  /** Mirrors the workspaces' user groups as Plaudit groups (`groups sync`). */
  readonly groupMirror: GroupMirror;
  /** Resolves when the notifications of every answered command have been sent. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The Slack adapter (Bolt): signed HTTP requests on /slack/events, or Socket Mode when an
 * app token is set. With SLACK_BOT_TOKEN it serves the token's workspace (connected at
 * start through `auth.test`) as one fixed installation; in OAuth mode (SLACK_CLIENT_ID…)
 * workspaces and Enterprise Grid organizations install it from /slack/install, each served
 * with its own token. Either way each request is served with its own workspace's client and
 * organization, a request from a workspace with no (or a disabled) installation gets 401,
 * and each slash command becomes a core command for the shared router.
 */
export async function startSlackAdapter(options: SlackAdapterOptions): Promise<SlackAdapter> {
  const { config, db, router, services, logger } = options;
  const clientOptions = slackClientOptions(config, logger, options.apiRetries);
  const fixed = config.SLACK_BOT_TOKEN
    ? await fixedInstallation(db, config.SLACK_BOT_TOKEN, clientOptions)
    : undefined;
  const oauth = slackOAuth(config) ? new SlackOAuth(config, db, logger) : undefined;

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
        ...oauth?.receiverOptions(),
      });
  const source = fixed?.source ?? (oauth as SlackOAuth).source(receiver?.installer);
  const installations = new SlackInstallations(db, source, clientOptions, logger);
  const app = new App({
    ...(receiver ? { receiver } : { socketMode: true, appToken: config.SLACK_APP_TOKEN }),
    // OAuth: the installer's own authorize (Bolt's), which refreshes rotating tokens.
    ...(fixed && {
      // A slash command reads its workspace itself, with its people, once admitted. Any
      // other request has it read here, before Bolt acks an event and runs its listener.
      authorize: (query: bolt.AuthorizeSourceData<boolean>, body?: unknown) =>
        isSlashCommand(body) ? fixed.source.authorizeUnread(query) : fixed.source.authorize(query),
    }),
    clientOptions: { slackApiUrl: config.SLACK_API_URL },
    tokenVerificationEnabled: false,
    // Bolt's conversation store (context.conversation), unused here: its default, in memory,
    // builds an Error ("Conversation not found") for every request of a conversation.
    convoStore: false,
    logger: boltLogger(logger),
  });
  // Every request is served as its own workspace, looked up as it comes (a workspace may
  // have been moved to another organization since).
  app.use(async ({ context, body, next }) => {
    // A slash command reads its workspace with its people, in one statement, once it is
    // admitted: here only when its authorization did not tell it connected.
    if (context[WORKSPACE_UNREAD] === true) {
      await next();
      return;
    }
    // The bot token's authorize found it already; the installer's does not tell it.
    context.workspace ??= await installations.workspaceOf({
      teamId: context.teamId,
      enterpriseId: context.enterpriseId,
    });
    if (!context.workspace && !isUninstall(body)) {
      throw new AuthorizationError(
        `workspace ${context.teamId} is not connected`,
        new Error('unknown team'),
      );
    }
    await next();
  });

  const directory = new SlackDirectory(db, installations, logger, options.onFirstSight);
  // Background Web API calls run a few at a time, so they never crowd out answers. The
  // kudos' celebrations and DMs are registered for whichever process takes their jobs.
  const sends = slackSends({
    config,
    db,
    installations,
    services,
    logger,
    announcements: options.announcements,
  });
  const { notifier, home } = sends;
  const handlers = new SlackHandlers({
    db,
    router,
    services,
    directory,
    notifier,
    home,
    logger,
    commandName: config.SLACK_COMMAND,
    onGiven: options.onGiven,
    admission: options.admission,
    workspaceOf: (source) => installations.workspaceOf(source),
  });
  handlers.register(app);
  const groupMirror = new SlackGroupMirror({
    db,
    installations,
    directory,
    logger,
    // The bot token serves its own workspace; OAuth, each one connected (an uninstalled
    // one is skipped).
    atStart: async () => (fixed ? [fixed.workspace] : allWorkspaces(db)),
  });
  groupMirror.register(app);
  const people = new SlackPeopleEvents(directory, logger);
  people.register(app);
  const reactions = new SlackReactions({
    services,
    directory,
    notifier,
    logger,
    onGiven: options.onGiven,
  });
  reactions.register(app);
  const boosts = new SlackBoosts({
    services,
    directory,
    notifier,
    logger,
    onGiven: options.onGiven,
    admission: options.admission,
  });
  boosts.register(app);
  const uninstalls = new SlackUninstalls(installations, logger);
  uninstalls.register(app);
  oauth?.followUpWith({ installations, directory });

  if (socketMode) await app.start();
  logger.info(
    {
      team: fixed?.workspace.teamId,
      mode: socketMode ? 'socket' : 'http',
      installs: oauth ? 'oauth' : 'bot token',
    },
    'Slack connected',
  );
  groupMirror.start();
  return {
    routes: receiver?.router as Router | undefined,
    workspace: fixed?.workspace,
    installations,
    groupMirror,
    settled: async () => {
      await handlers.settled();
      await groupMirror.settled();
      await people.settled();
      await reactions.settled();
      await boosts.settled();
      await uninstalls.settled();
    },
    async stop() {
      if (socketMode) await app.stop();
      await sends.close();
    },
  };
}

/** The events Bolt hands over unauthorized: the workspace they name may be gone. */
function isUninstall(body: unknown): boolean {
  const type = (body as { event?: { type?: unknown } } | undefined)?.event?.type;
  return type === 'app_uninstalled' || type === 'tokens_revoked';
}

/** A slash command's payload (`command`, `text`): its handler reads its own workspace. */
function isSlashCommand(body: unknown): boolean {
  const { command, text } = (body ?? {}) as { command?: unknown; text?: unknown };
  return typeof command === 'string' && typeof text === 'string';
}

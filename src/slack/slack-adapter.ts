import * as bolt from '@slack/bolt';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { systemClock } from '../core/clock.ts';
import type { CommandRouter } from '../core/command-router.ts';
import { type Reply, textReply } from '../core/reply.ts';
import type { Database } from '../db/database.ts';
import { findMember } from '../directory/members.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { replyBlocks, unescapeSlackText } from './slack-blocks.ts';
import { SlackDirectory } from './slack-directory.ts';
import { publishHome } from './slack-home.ts';
import { SlackNotifier, slackIdsOf } from './slack-notifier.ts';
import { connectWorkspace, findWorkspace, type SlackWorkspace } from './slack-workspaces.ts';

const { App, AuthorizationError, ExpressReceiver, LogLevel } = bolt;

/** Slack wants an answer within 3 s; the reply goes in the ack when ready by then. */
const ACK_BUDGET_MS = 2_000;

export interface SlackAdapterOptions {
  readonly config: Config & { SLACK_BOT_TOKEN: string };
  readonly db: Database;
  readonly router: CommandRouter;
  readonly services: RecognitionServices;
  readonly logger: Logger;
  /** Web API retries; tests that fake failures set 0. @defaultValue 2 */
  readonly apiRetries?: number;
}

export interface SlackAdapter {
  /** The routes of HTTP mode (`POST /slack/events`); absent in Socket Mode. */
  readonly routes: Router | undefined;
  readonly workspace: SlackWorkspace;
  /** Resolves when the notifications of every answered command have been sent. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

function toMessage(reply: Reply) {
  return { response_type: 'ephemeral' as const, text: reply.text, blocks: replyBlocks(reply) };
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
  const directory = new SlackDirectory(db, client, logger);
  const notifier = new SlackNotifier(db, client, logger);
  const inFlight = new Set<Promise<unknown>>();
  /** Work that follows an answer (notifications, Home tabs); tracked so shutdown can wait. */
  const afterwards = (label: string, work: () => Promise<void>) => {
    const running = work().catch((error) => logger.error({ err: error }, `${label} failed`));
    inFlight.add(running);
    running.finally(() => inFlight.delete(running));
  };
  const refreshHome = async (connected: SlackWorkspace, memberIds: readonly number[]) => {
    const ids = await slackIdsOf(db, connected, memberIds);
    for (const [memberId, userId] of ids) {
      const member = await findMember(db, connected.organizationId, memberId);
      if (member) await publishHome(client, services, member, userId, config.SLACK_COMMAND);
    }
  };

  const socketMode = config.SLACK_APP_TOKEN !== undefined;
  const receiver = socketMode
    ? undefined
    : new ExpressReceiver({
        signingSecret: config.SLACK_SIGNING_SECRET as string,
        endpoints: '/slack/events',
        processBeforeResponse: false,
        logger: boltLogger(logger),
      });
  const app = new App({
    ...(receiver ? { receiver } : { socketMode: true, appToken: config.SLACK_APP_TOKEN }),
    authorize: async ({ teamId }) => {
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

  app.command(config.SLACK_COMMAND, async ({ command, ack, respond, context }) => {
    const connected = context.workspace as SlackWorkspace;
    const work = (async (): Promise<Reply> => {
      const actor = await directory.member(connected, command.user_id);
      return router.route({
        actor,
        text: unescapeSlackText(command.text),
        mentions: [],
        idempotencyKey: `slack:${command.trigger_id}`,
        platform: 'slack',
        channel: command.channel_id,
        commandName: config.SLACK_COMMAND,
        mentionResolver: directory.resolverFor(connected),
        clock: systemClock,
      });
    })().catch((error) => {
      logger.error({ err: error, trigger: command.trigger_id }, 'a Slack command failed');
      return textReply('Something went wrong on our side; please try again in a moment.', {
        outcome: 'refused',
        code: 'internal',
      });
    });
    const reply = await withinBudget(work, ACK_BUDGET_MS);
    if (reply) {
      await ack(toMessage(reply));
    } else {
      await ack();
    }
    afterwards('a Slack command', async () => {
      const answered = reply ?? (await work);
      if (!reply) await respond(toMessage(answered));
      for (const event of answered.events) {
        await notifier.kudosGiven(connected, event);
        await refreshHome(connected, [
          event.giver.memberId,
          ...event.recipients.map((r) => r.memberId),
        ]);
      }
    });
  });

  app.event('app_home_opened', async ({ event, context }) => {
    if (event.tab !== 'home') return;
    const connected = context.workspace as SlackWorkspace;
    afterwards('the Home tab', async () => {
      const member = await directory.member(connected, event.user);
      await publishHome(client, services, member, event.user, config.SLACK_COMMAND);
    });
  });

  if (socketMode) await app.start();
  logger.info({ team: workspace.teamId, mode: socketMode ? 'socket' : 'http' }, 'Slack connected');
  return {
    routes: receiver?.router as Router | undefined,
    workspace,
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async stop() {
      if (socketMode) await app.stop();
    },
  };
}

/** The work's result if it is ready within the budget; undefined otherwise (it keeps running). */
async function withinBudget<T>(work: Promise<T>, budgetMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), budgetMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Bolt's and the Web API client's log lines, into the process's own structured log. */
function boltLogger(logger: Logger): bolt.Logger {
  const child = logger.child({ component: 'slack' });
  let level = LogLevel.INFO;
  return {
    debug: (...messages: unknown[]) => child.debug(messages.map(String).join(' ')),
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

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
import {
  fieldOf,
  GIVE_KUDOS_MODAL,
  giveKudosModal,
  type ModalContext,
  messageLink,
  submissionAsCommand,
} from './give-kudos-modal.ts';
import { SendSlots } from './send-slots.ts';
import { replyBlocks, unescapeSlackText } from './slack-blocks.ts';
import { SlackDirectory } from './slack-directory.ts';
import { SlackHome } from './slack-home.ts';
import { SlackNotifier, slackIdsOf } from './slack-notifier.ts';
import { connectWorkspace, findWorkspace, type SlackWorkspace } from './slack-workspaces.ts';

const { App, AuthorizationError, ExpressReceiver, LogLevel } = bolt;

/** Slack wants an answer within 3 s; the reply goes in the ack when ready by then. */
const ACK_BUDGET_MS = 2_000;

/** Notification calls (celebrations, DMs, Home tabs) in flight at once. */
const NOTIFICATION_SLOTS = 2;

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
  // Background Web API calls run a few at a time, so they never crowd out answers.
  const slots = new SendSlots(NOTIFICATION_SLOTS);
  const notifier = new SlackNotifier(db, client, logger, slots);
  const inFlight = new Set<Promise<unknown>>();
  /** Work that follows an answer (notifications, Home tabs); tracked so shutdown can wait. */
  const afterwards = (label: string, work: () => Promise<void>) => {
    const running = work().catch((error) => logger.error({ err: error }, `${label} failed`));
    inFlight.add(running);
    running.finally(() => inFlight.delete(running));
  };
  const home = new SlackHome(client, services, config.SLACK_COMMAND, logger, slots);
  const refreshHome = async (connected: SlackWorkspace, memberIds: readonly number[]) => {
    const ids = await slackIdsOf(db, connected, memberIds);
    const refreshes = [];
    for (const [memberId, userId] of ids) {
      if (!home.isOpen(userId)) continue;
      const member = await findMember(db, connected.organizationId, memberId);
      if (member) refreshes.push(home.changed(member, userId));
    }
    await Promise.all(refreshes);
  };

  // Every request names its workspace; connected ones never change, so they are remembered.
  const workspaces = new Map<string, SlackWorkspace>([[workspace.teamId, workspace]]);
  const connectedWorkspace = async (teamId: string) => {
    let known = workspaces.get(teamId);
    if (!known) {
      known = await findWorkspace(db, teamId);
      if (known) workspaces.set(teamId, known);
    }
    return known;
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
      const known = teamId ? await connectedWorkspace(teamId) : undefined;
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

  /** Runs a command for a Slack user; never rejects (a fault becomes a reply saying so). */
  const run = (
    connected: SlackWorkspace,
    userId: string,
    input: { text: string; key: string; channel: string | null },
  ): Promise<Reply> =>
    (async () => {
      const actor = await directory.member(connected, userId);
      return router.route({
        actor,
        text: input.text,
        mentions: [],
        idempotencyKey: input.key,
        platform: 'slack',
        channel: input.channel,
        commandName: config.SLACK_COMMAND,
        mentionResolver: directory.resolverFor(connected),
        clock: systemClock,
      });
    })().catch((error) => {
      logger.error({ err: error, key: input.key }, 'a Slack command failed');
      return textReply('Something went wrong on our side; please try again in a moment.', {
        outcome: 'refused',
        code: 'internal',
      });
    });

  /** Celebrations, DMs and Home tabs for what a command did. */
  const celebrate = async (connected: SlackWorkspace, reply: Reply) => {
    for (const event of reply.events) {
      await notifier.kudosGiven(connected, event);
      await refreshHome(connected, [
        event.giver.memberId,
        ...event.recipients.map((r) => r.memberId),
      ]);
    }
  };

  const openModal = async (
    connected: SlackWorkspace,
    triggerId: string,
    context: ModalContext,
    reason?: string,
  ) => {
    const { settings } = await services.settings.load(connected.organizationId);
    await client.views.open({
      trigger_id: triggerId,
      view: giveKudosModal({
        values: settings.values,
        defaultAmount: settings.defaultAmount,
        reason,
        context,
      }),
    });
  };

  app.command(config.SLACK_COMMAND, async ({ command, ack, respond, context }) => {
    const connected = context.workspace as SlackWorkspace;
    if (command.text.trim() === '') {
      // A bare command opens the modal; the trigger is valid for 3 s, so ack first.
      await ack();
      afterwards('the kudos modal', () =>
        openModal(connected, command.trigger_id, { channel: command.channel_id }),
      );
      return;
    }
    const work = run(connected, command.user_id, {
      text: unescapeSlackText(command.text),
      key: `slack:${command.trigger_id}`,
      channel: command.channel_id,
    });
    const reply = await withinBudget(work, ACK_BUDGET_MS);
    if (reply) await ack(toMessage(reply));
    else await ack();
    afterwards('a Slack command', async () => {
      const answered = reply ?? (await work);
      if (!reply) await respond(toMessage(answered));
      await celebrate(connected, answered);
    });
  });

  app.shortcut('give_kudos', async ({ shortcut, ack, context }) => {
    await ack();
    const connected = context.workspace as SlackWorkspace;
    afterwards('the kudos modal', () =>
      openModal(connected, shortcut.trigger_id, { channel: null }),
    );
  });

  app.shortcut('give_kudos_for_message', async ({ shortcut, ack, context }) => {
    await ack();
    if (shortcut.type !== 'message_action') return;
    const connected = context.workspace as SlackWorkspace;
    const link = messageLink(shortcut.team?.domain, shortcut.channel.id, shortcut.message.ts);
    afterwards('the kudos modal', () =>
      openModal(
        connected,
        shortcut.trigger_id,
        { channel: shortcut.channel.id },
        `your message ${link}`,
      ),
    );
  });

  app.view(GIVE_KUDOS_MODAL, async ({ ack, body, view, context }) => {
    const connected = context.workspace as SlackWorkspace;
    const modal = JSON.parse(view.private_metadata || '{}') as ModalContext;
    const work = run(connected, body.user.id, {
      text: submissionAsCommand(view.state as Parameters<typeof submissionAsCommand>[0]),
      key: `slack:view:${view.id}`,
      channel: modal.channel ?? null,
    });
    const reply = await withinBudget(work, ACK_BUDGET_MS);
    if (reply && reply.outcome !== 'ok') {
      // Show the refusal under the field it is about; the modal stays open to fix it.
      const hasValueField = view.blocks.some((block) => block.block_id === 'value');
      await ack({
        response_action: 'errors',
        errors: { [fieldOf(reply.code, hasValueField)]: reply.text },
      });
      return;
    }
    await ack();
    afterwards('a kudos modal', async () => {
      const answered = reply ?? (await work);
      await notifier.toGiver(body.user.id, modal.channel ?? null, answered.text);
      await celebrate(connected, answered);
    });
  });

  app.event('app_home_opened', async ({ event, context }) => {
    if (event.tab !== 'home') return;
    const connected = context.workspace as SlackWorkspace;
    afterwards('the Home tab', async () => {
      const member = await directory.member(connected, event.user);
      await home.opened(member, event.user);
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

import type * as bolt from '@slack/bolt';
import type { Logger } from 'pino';
import { readProgramSettings } from '../admin/program-settings.ts';
import {
  opensSettingsForm,
  settingsFormChange,
  settingsFormValues,
  settingsRefusalByField,
} from '../admin/settings-form.ts';
import { systemClock } from '../core/clock.ts';
import { busyReply, type CommandAdmission } from '../core/command-admission.ts';
import type { CommandRouter } from '../core/command-router.ts';
import { DeadlineExceeded, deadline } from '../core/deadline.ts';
import { FollowUps } from '../core/follow-ups.ts';
import { type Reply, refusalReply, textReply } from '../core/reply.ts';
import type { Database } from '../db/database.ts';
import { OutsiderUser } from '../directory/outsiders.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import {
  fieldOf,
  GIVE_KUDOS_MODAL,
  giveKudosModal,
  type ModalContext,
  messageLink,
  submissionAsCommand,
} from './give-kudos-modal.ts';
import {
  SETTINGS_MODAL,
  settingsModal,
  settingsModalContext,
  settingsModalValues,
} from './settings-modal.ts';
import { arrivalIn, type SlackArrival } from './slack-arrival.ts';
import {
  AS_WRITTEN,
  COMMAND_ACTION,
  escapeSlackText,
  replyBlocks,
  unescapeSlackText,
} from './slack-blocks.ts';
import { isUnknownSlackUser, type SlackDirectory } from './slack-directory.ts';
import type { SlackHome } from './slack-home.ts';
import type { SlackNotifier } from './slack-notifier.ts';
import { readWorkspaceWithMembers, type SlackWorkspace } from './slack-workspaces.ts';

/**
 * Slack waits 3 s from sending a request for its answer; the reply goes in the ack when it
 * is ready this long after Slack sent it, and through the response URL otherwise.
 */
const ACK_BY_MS = 2_500;

/**
 * A command that reaches its handler this long after it reached the process waited behind
 * a saturated process: it is shed, not started, since it could not be answered in time.
 */
const START_WITHIN_MS = 1_000;

/** A Slack user a command's text names (`<@U123>`, `<@U123|ana>`). */
const SLACK_USER_MENTION = /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g;

/** The most named users read with the command's own statement; any further are read as named. */
const MENTIONS_READ_AHEAD = 20;

/** The buttons of a reply (`plaudit_command:{index}`), whose value is the command to run. */
const COMMAND_BUTTON = new RegExp(`^${COMMAND_ACTION}:`);

const UNKNOWN_USER =
  'Slack could not tell me who you are in this workspace, so I did nothing. Ask your Slack admin to check your account.';

export interface SlackHandlerDependencies {
  readonly db: Database;
  readonly router: CommandRouter;
  readonly services: RecognitionServices;
  readonly directory: SlackDirectory;
  readonly notifier: SlackNotifier;
  readonly home: SlackHome;
  readonly logger: Logger;
  readonly commandName: string;
  /** Called once a command gave kudos: the outbox relay hands its announcement to the queue. */
  readonly onGiven: () => void;
  /** Decides whether a command is taken or shed, for every chat platform of the process. */
  readonly admission: CommandAdmission;
  /**
   * The connected workspace of a request whose authorization did not read it (a slash
   * command from the bot token's own workspace: its row is read with the command's people).
   */
  readonly workspaceOf: (source: {
    teamId?: string;
    enterpriseId?: string;
  }) => Promise<SlackWorkspace | undefined>;
}

/**
 * What Plaudit does with each kind of Slack delivery: the slash command, the shortcuts,
 * the modal's submission and the opening of the Home tab. Each answers Slack first; the
 * celebration, DMs and Home tabs that follow a kudos come from the notifications job.
 */
export class SlackHandlers {
  readonly #followUps: FollowUps;

  constructor(private readonly deps: SlackHandlerDependencies) {
    this.#followUps = new FollowUps(deps.logger);
  }

  register(app: bolt.App): void {
    // The slash command, the most frequent request by far, is answered from a global
    // middleware: as a listener (`app.command`) it would first pass through every
    // listener's matchers (each a copy of the request's arguments), which cost more CPU
    // than the rest of Bolt's handling of it. Registered after the workspace's middleware.
    app.use(async (args) => {
      const command = (args as { command?: bolt.SlashCommand }).command;
      if (command?.command !== this.deps.commandName) {
        await args.next();
        return;
      }
      await this.#onCommand(args as bolt.SlackCommandMiddlewareArgs & bolt.AllMiddlewareArgs);
    });
    app.shortcut('give_kudos', (args) => this.#onShortcut(args));
    app.shortcut('give_kudos_for_message', (args) => this.#onShortcut(args));
    app.view(GIVE_KUDOS_MODAL, (args) => this.#onSubmission(args));
    app.view(SETTINGS_MODAL, (args) => this.#onSettingsSubmission(args));
    app.action<bolt.BlockButtonAction>(
      { type: 'block_actions', action_id: COMMAND_BUTTON },
      (args) => this.#onCommandButton(args),
    );
    app.event('app_home_opened', (args) => this.#onHomeOpened(args));
  }

  /** Resolves when the work that followed every answer so far has finished. */
  settled(): Promise<void> {
    return this.#followUps.settled();
  }

  async #onCommand({
    command,
    ack,
    respond,
    context,
    client,
  }: bolt.SlackCommandMiddlewareArgs & bolt.AllMiddlewareArgs) {
    // Unread when the authorization knew the workspace connected without reading it: the
    // typed command reads it with its people, in one statement.
    const read = context.workspace as SlackWorkspace | undefined;
    const connected = async () => {
      const workspace =
        read ??
        (await this.deps.workspaceOf({
          teamId: context.teamId,
          enterpriseId: context.enterpriseId,
        }));
      if (!workspace) throw new Error(`workspace ${context.teamId} is not connected`);
      return workspace;
    };
    if (command.text.trim() === '') {
      // A bare command opens the modal; the trigger is valid for 3 s, so ack first.
      await ack();
      this.#followUps.start('the kudos modal', async () =>
        this.#openModal(client, await connected(), command.trigger_id, {
          channel: command.channel_id,
        }),
      );
      return;
    }
    if (opensSettingsForm(command.text)) {
      await ack();
      this.#followUps.start('the settings modal', async () =>
        this.#openSettings(client, await connected(), command, respond, arrivalIn(context)),
      );
      return;
    }
    const arrival = arrivalIn(context);
    const work = this.#runTyped(read?.teamId ?? command.team_id, command, arrival);
    const reply = await untilAckDue(work, arrival);
    // The answer goes in the ack only while Slack still waits for it; otherwise through
    // the response URL, so a command is never done and left unanswered.
    const inAck = reply !== undefined && arrival.open();
    if (inAck) await ack(toMessage(reply.direct ? SENT_DIRECTLY : reply));
    else await ack();
    this.#followUps.start('a Slack command', async () => {
      const answered = reply ?? (await work);
      if (answered.direct) {
        await this.#sendDirect(client, command.user_id, answered, respond, inAck);
        return;
      }
      if (!inAck) await respond(toMessage(answered));
      this.#announce(answered);
    });
  }

  async #onShortcut({
    shortcut,
    ack,
    context,
    client,
  }: bolt.SlackShortcutMiddlewareArgs & bolt.AllMiddlewareArgs) {
    await ack();
    const connected = context.workspace as SlackWorkspace;
    if (shortcut.type === 'message_action') {
      const link = messageLink(shortcut.team?.domain, shortcut.channel.id, shortcut.message.ts);
      this.#followUps.start('the kudos modal', () =>
        this.#openModal(
          client,
          connected,
          shortcut.trigger_id,
          { channel: shortcut.channel.id },
          `your message ${link}`,
        ),
      );
    } else {
      this.#followUps.start('the kudos modal', () =>
        this.#openModal(client, connected, shortcut.trigger_id, { channel: null }),
      );
    }
  }

  async #onSubmission({
    ack,
    body,
    view,
    context,
    client,
  }: bolt.SlackViewMiddlewareArgs & bolt.AllMiddlewareArgs) {
    const connected = context.workspace as SlackWorkspace;
    const modal = JSON.parse(view.private_metadata || '{}') as ModalContext;
    const arrival = arrivalIn(context);
    const work = this.#run(
      connected.teamId,
      body.user.id,
      {
        text: submissionAsCommand(view.state as Parameters<typeof submissionAsCommand>[0]),
        key: `slack:view:${view.id}`,
        channel: modal.channel ?? null,
      },
      arrival,
    );
    const reply = await untilAckDue(work, arrival);
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
    this.#followUps.start('a kudos modal', async () => {
      const answered = reply ?? (await work);
      await this.deps.notifier.toGiver(
        { teamId: connected.teamId, client },
        body.user.id,
        modal.channel ?? null,
        answered.text,
      );
      this.#announce(answered);
    });
  }

  /**
   * The settings modal's submission becomes the `admin settings key=value …` command of the
   * fields that changed, run as the person who submitted it: the command checks, refuses
   * and audits. A refusal about a field is shown under it, with the modal left open.
   */
  async #onSettingsSubmission({
    ack,
    body,
    view,
    context,
    client,
  }: bolt.SlackViewMiddlewareArgs & bolt.AllMiddlewareArgs) {
    const connected = context.workspace as SlackWorkspace;
    const modal = settingsModalContext(view.private_metadata);
    const shown =
      modal.shown ??
      settingsFormValues(await readProgramSettings(this.deps.db, connected.organizationId));
    const change = settingsFormChange(shown, settingsModalValues(view.state));
    const arrival = arrivalIn(context);
    const work =
      change.keys.length === 0
        ? Promise.resolve(textReply('Nothing changed: the settings are as they were.'))
        : this.#run(
            connected.teamId,
            body.user.id,
            { text: change.command, key: `slack:view:${view.id}`, channel: modal.channel },
            arrival,
          );
    const reply = await untilAckDue(work, arrival);
    const errors = reply && settingsRefusalByField(reply, change.keys);
    if (errors) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    this.#followUps.start('the settings modal', async () => {
      const answered = reply ?? (await work);
      await this.deps.notifier.toGiver(
        { teamId: connected.teamId, client },
        body.user.id,
        modal.channel,
        answered.text,
      );
    });
  }

  /**
   * A click on a reply's button runs the button's command as the person who clicked, as if
   * they had typed it, and answers them privately. The click is acked first: its answer
   * may take longer than Slack waits, and a block action's ack shows nothing anyway.
   */
  async #onCommandButton({
    ack,
    action,
    body,
    respond,
    context,
    client,
  }: bolt.SlackActionMiddlewareArgs<bolt.BlockButtonAction> & bolt.AllMiddlewareArgs) {
    await ack();
    const connected = context.workspace as SlackWorkspace;
    const channel = body.channel?.id ?? null;
    const arrival = arrivalIn(context);
    this.#followUps.start('a Slack button', async () => {
      const reply = await this.#run(
        connected.teamId,
        body.user.id,
        {
          text: action.value ?? '',
          // One click is one action_ts: a redelivered click runs the command once.
          key: `slack:action:${connected.teamId}:${body.user.id}:${action.action_ts}`,
          channel,
        },
        arrival,
      );
      // A button in a message has a response_url; one in a view (no message to answer
      // under) gets its answer by message instead.
      if (body.response_url) await respond({ ...toMessage(reply), replace_original: false });
      else
        await this.deps.notifier.toGiver(
          { teamId: connected.teamId, client },
          body.user.id,
          channel,
          reply.text,
        );
      this.#announce(reply);
    });
  }

  async #onHomeOpened({
    event,
    context,
  }: bolt.SlackEventMiddlewareArgs<'app_home_opened'> & bolt.AllMiddlewareArgs) {
    if (event.tab !== 'home') return;
    const connected = context.workspace as SlackWorkspace;
    this.#followUps.start('the Home tab', async () => {
      const member = await this.deps.directory.member(connected, event.user).catch((error) => {
        // Someone from outside the organization has no Home here: nothing to show or log.
        if (error instanceof OutsiderUser) return undefined;
        throw error;
      });
      if (member) await this.deps.home.opened(member, connected, event.user);
    });
  }

  /** Runs a slash command as its user typed it, keyed by its trigger (a retry runs it once). */
  #runTyped(teamId: string, command: bolt.SlashCommand, arrival: SlackArrival): Promise<Reply> {
    const input = {
      text: unescapeSlackText(command.text),
      key: `slack:${command.trigger_id}`,
      channel: command.channel_id,
    };
    return this.#run(teamId, command.user_id, input, arrival);
  }

  /**
   * Runs a command for a Slack user of a connected workspace, unless the process sheds it
   * (then it does nothing and answers that it is busy); never rejects (a fault becomes a
   * reply saying so). The workspace as it is now, the user's member and those of the users
   * the text names are read in one statement, after the command is admitted.
   */
  #run(
    teamId: string,
    userId: string,
    input: { text: string; key: string; channel: string | null },
    arrival: SlackArrival,
  ): Promise<Reply> {
    const { directory, router, logger, admission } = this.deps;
    const admitted = admission.admit(arrival.arrivedAt, START_WITHIN_MS);
    if (!admitted.admitted) {
      logger.debug({ reason: admitted.reason, key: input.key }, 'a Slack command was shed');
      return Promise.resolve(busyReply());
    }
    return (async () => {
      const named = new Set([userId]);
      for (const [, mentioned] of input.text.matchAll(SLACK_USER_MENTION)) {
        if (named.size > MENTIONS_READ_AHEAD) break;
        named.add(mentioned as string);
      }
      const read = await readWorkspaceWithMembers(this.deps.db, teamId, [...named]);
      if (!read) throw new Error(`workspace ${teamId} is not connected`);
      const connected = read.workspace;
      const actor = await directory.member(connected, userId, read.members);
      return router.route({
        actor,
        text: input.text,
        mentions: [],
        idempotencyKey: input.key,
        platform: 'slack',
        tenantId: connected.teamId,
        channel: input.channel,
        commandName: this.deps.commandName,
        mentionResolver: directory.resolverFor(connected, read.members),
        clock: systemClock,
      });
    })()
      .catch((error) => {
        if (isUnknownSlackUser(error)) return refusalReply('unknown_user', UNKNOWN_USER);
        if (error instanceof OutsiderUser) return refusalReply('outsider', error.actorSentence);
        logger.error({ err: error, key: input.key }, 'a Slack command failed');
        return textReply('Something went wrong on our side; please try again in a moment.', {
          outcome: 'refused',
          code: 'internal',
        });
      })
      .finally(admitted.done);
  }

  /** What a command did is announced by the notifications job: wake the outbox relay. */
  #announce(reply: Reply): void {
    if (reply.events.length > 0) this.deps.onGiven();
  }

  /**
   * Opens the settings modal for an admin, filled in with the settings now. Anyone else
   * gets what the command itself answers them: a refusal, audited as one.
   */
  async #openSettings(
    client: bolt.webApi.WebClient,
    connected: SlackWorkspace,
    command: bolt.SlashCommand,
    respond: bolt.RespondFn,
    arrival: SlackArrival,
  ): Promise<void> {
    const actor = await this.deps.directory.member(connected, command.user_id).catch(() => null);
    if (!actor?.roles.includes('admin')) {
      await respond(toMessage(await this.#runTyped(connected.teamId, command, arrival)));
      return;
    }
    const settings = await readProgramSettings(this.deps.db, connected.organizationId);
    await client.views.open({
      trigger_id: command.trigger_id,
      view: settingsModal({ values: settingsFormValues(settings), channel: command.channel_id }),
    });
  }

  /**
   * Posts a direct reply in the person's DM with the app. If Slack refuses, the answer
   * goes to them alone through the command's response URL instead, never to the channel.
   */
  async #sendDirect(
    client: bolt.webApi.WebClient,
    userId: string,
    reply: Reply,
    respond: bolt.RespondFn,
    acknowledged: boolean,
  ): Promise<void> {
    try {
      await client.chat.postMessage({
        channel: userId,
        text: escapeSlackText(reply.text),
        blocks: replyBlocks(reply),
        ...AS_WRITTEN,
      });
      if (!acknowledged) await respond(toMessage(SENT_DIRECTLY));
    } catch (error) {
      // Only Slack's code: the error also carries the request, whose text is the secret.
      const { code, data } = error as { code?: string; data?: { error?: string } };
      this.deps.logger.warn(
        { code, slackError: data?.error },
        'a direct message could not be sent; answered privately',
      );
      const privately = textReply(
        `I could not send you a direct message, so here it is, for you alone. ${reply.text}`,
      );
      await respond({ ...toMessage(privately), replace_original: false });
    }
  }

  async #openModal(
    client: bolt.webApi.WebClient,
    connected: SlackWorkspace,
    triggerId: string,
    context: ModalContext,
    reason?: string,
  ) {
    const { settings } = await this.deps.services.settings.load(connected.organizationId);
    await client.views.open({
      trigger_id: triggerId,
      view: giveKudosModal({
        values: settings.values,
        defaultAmount: settings.defaultAmount,
        maxReasonLength: settings.maxReasonLength,
        privateKudosAllowed: settings.privateKudosAllowed,
        reason,
        context,
      }),
    });
  }
}

/** The command's own answer when what it answered went to the person's DM. */
const SENT_DIRECTLY = textReply('I sent you a direct message.');

export function toMessage(reply: Reply) {
  return {
    response_type: 'ephemeral' as const,
    text: escapeSlackText(reply.text),
    blocks: replyBlocks(reply),
  };
}

/**
 * The reply, if it is ready by the time the ack is due ({@link ACK_BY_MS} after Slack sent
 * the request); past that it goes through the response URL instead.
 */
export async function untilAckDue(
  work: Promise<Reply>,
  arrival: SlackArrival,
): Promise<Reply | undefined> {
  const left = arrival.sentAt + ACK_BY_MS - Date.now();
  if (left <= 0) return undefined;
  return deadline(work, left, 'a Slack command').catch((error: unknown) => {
    if (error instanceof DeadlineExceeded) return undefined;
    throw error;
  });
}

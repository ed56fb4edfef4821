import type { Application, TurnState } from '@microsoft/teams-ai';
import { type Activity, ActivityTypes, TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { readProgramSettings } from '../admin/program-settings.ts';
import {
  opensSettingsForm,
  settingsFormChange,
  settingsFormValues,
} from '../admin/settings-form.ts';
import { systemClock } from '../core/clock.ts';
import { BUSY_TEXT, type CommandAdmission } from '../core/command-admission.ts';
import type { CommandRouter } from '../core/command-router.ts';
import { NUL_IN_MESSAGE, nulPath } from '../core/nul-text.ts';
import { celebratedKudos, type Reply, textReply } from '../core/reply.ts';
import type { Member } from '../directory/members.ts';
import { OutsiderUser } from '../directory/outsiders.ts';
import type { MentionEntity } from '../recognition/grammar/give-grammar.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { SETTINGS_FORM_VERB, settingsCard, settingsCardSubmission } from './settings-card.ts';
import { TeamsAnnouncements } from './teams-announcements.ts';
import { TeamsBoosts } from './teams-boosts.ts';
import {
  BOOST_VERB,
  COMMAND_FIELD,
  celebrationCard,
  GIVE_KUDOS_VERB,
  type GiveKudosSubmission,
  giveKudosCard,
  replyCard,
  submissionAsCommand,
} from './teams-cards.ts';
import { conversationKind, type TeamsConversations } from './teams-conversations.ts';
import type { TeamsDirectory } from './teams-directory.ts';
import { answerInTaskModule, isMessageExtensionInvoke } from './teams-message-extension.ts';
import type { TeamsNotifier } from './teams-notifier.ts';
import { TeamsReactions } from './teams-reactions.ts';
import type { TeamsTenant, TeamsTenants } from './teams-tenants.ts';
import { commandText, mentionedPeople, plainMessage } from './teams-text.ts';

/** Where the admitted tenant of a turn is kept for its handlers. */
const TENANT = Symbol('plaudit.teamsTenant');

/** Where the member who sent the turn's activity is kept, when read with its tenant. */
const SENDER = Symbol('plaudit.teamsSender');
/** The members the people a message mentions are, read with its tenant (by Teams user id). */
const MENTIONED = Symbol('plaudit.teamsMentioned');

/** Where a turn keeps when its request reached the process (epoch ms), set by the adapter. */
export const ARRIVED_AT = Symbol('plaudit.teamsArrivedAt');

/**
 * A command that reaches its handler this long after its request reached the process
 * waited behind a saturated process: it is shed, not started. The Bot Framework waits 15 s
 * for the request's answer before it gives up and sends the activity again.
 */
const START_WITHIN_MS = 5_000;

const NOT_ALLOWED =
  "Plaudit is not set up for your organization's Microsoft 365 tenant, so it cannot take kudos here. Ask your Plaudit admin to add it.";
const FAILED = 'Something went wrong on our side; please try again in a moment.';
const CARD_USED = 'That card was already used. Say "give" for a new one.';

export interface TeamsHandlerDependencies {
  readonly router: CommandRouter;
  readonly services: RecognitionServices;
  readonly directory: TeamsDirectory;
  readonly tenants: TeamsTenants;
  readonly conversations: TeamsConversations;
  /** Called once an activity gave kudos: the outbox relay hands its announcement to the queue. */
  readonly onGiven: () => void;
  /** Sends to a member's personal chat with the bot, opening one if need be. */
  readonly notifier: TeamsNotifier;
  readonly logger: Logger;
  /** Local mode takes the Bot Framework Emulator; otherwise only the Teams channel is served. */
  readonly localMode: boolean;
  /** Decides whether a command is taken or shed, for every chat platform of the process. */
  readonly admission: CommandAdmission;
  /** The announcement channel: `announce here`, its posts, and the bot leaving it. */
  readonly announcements: TeamsAnnouncements;
  /** Reactions to Plaudit's celebration posts, as kudos. */
  readonly reactions: TeamsReactions;
}

/**
 * What Plaudit does with each Teams activity: messages (in personal chat, group chats and
 * channels where the bot is mentioned) go to the shared command router; the give-kudos
 * card's submissions too; installs are remembered so the bot can write to people later.
 * Activities from a tenant that is not allowed get a polite refusal and change nothing.
 */
export class TeamsHandlers {
  readonly #boosts: TeamsBoosts;

  constructor(private readonly deps: TeamsHandlerDependencies) {
    this.#boosts = new TeamsBoosts(deps);
  }

  register(app: Application<TurnState>): void {
    app.turn('beforeTurn', (context) => this.#admit(context));
    app.turn('beforeTurn', async (context) => {
      // Every conversation event, whichever route takes it: the bot may have left the
      // announcement channel.
      await this.deps.announcements.onConversationEvent(context, this.#tenant(context));
      return true;
    });
    app.conversationUpdate('membersAdded', (context) => this.#onMembersAdded(context));
    // Quietly: a reaction is answered in the reactor's personal chat or not at all, never
    // in the channel where everyone would see it.
    app.activity(ActivityTypes.MessageReaction, (context) =>
      this.#taken(context, () => this.#onReaction(context), { quiet: true }),
    );
    app.adaptiveCards.actionSubmit(GIVE_KUDOS_VERB, (context, _state, data) =>
      this.#taken(context, () => this.#onCardSubmitted(context, data as GiveKudosSubmission)),
    );
    app.adaptiveCards.actionSubmit(BOOST_VERB, (context, _state, data) =>
      this.#taken(context, async () =>
        this.#boosts.submitted(context, await this.#actor(context), this.#tenant(context), data),
      ),
    );
    app.adaptiveCards.actionSubmit(SETTINGS_FORM_VERB, (context, _state, data) =>
      this.#taken(context, () =>
        this.#onSettingsSubmitted(context, data as Record<string, unknown>),
      ),
    );
    app.activity(ActivityTypes.Message, (context) =>
      this.#taken(context, () => this.#onMessage(context)),
    );
  }

  /**
   * Runs a person's command unless the process sheds it: then nothing is looked up or
   * done, and they are told at once that Plaudit is busy.
   */
  #taken(context: TurnContext, work: () => Promise<void>, { quiet = false } = {}): Promise<void> {
    // Quiet (a reaction): a refusal is never said in the conversation it came from.
    return this.admitted(context, work, async (sentence) => {
      if (!quiet) await context.sendActivity(sentence);
    });
  }

  /**
   * Runs `work` unless the process sheds it; a shed command, or one from someone who is not
   * a member here, gets `refused` with the sentence to tell them (an invoke answers it in
   * its own response, a message in the conversation).
   */
  async admitted<T>(
    context: TurnContext,
    work: () => Promise<T>,
    refused: (sentence: string) => Promise<T>,
  ): Promise<T> {
    const arrivedAt = (context.turnState.get(ARRIVED_AT) as number | undefined) ?? Date.now();
    const admitted = this.deps.admission.admit(arrivedAt, START_WITHIN_MS);
    if (!admitted.admitted) {
      // Counted in /metrics; a line each would add to the load that caused it.
      this.deps.logger.debug(
        { reason: admitted.reason, activity: context.activity.id },
        'a Teams command was shed',
      );
      return refused(BUSY_TEXT);
    }
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof OutsiderUser)) throw error;
      this.deps.logger.info({ activity: context.activity.id }, 'a Teams outsider was refused');
      return await refused(error.actorSentence);
    } finally {
      admitted.done();
    }
  }

  async #admit(context: TurnContext): Promise<boolean> {
    const activity = context.activity;
    // Not only the text: the sender's name, the tenant and the conversation are stored too.
    const nul = nulPath(activity);
    if (nul !== undefined) {
      this.deps.logger.warn({ field: nul, type: activity.type }, 'a Teams activity holds a NUL');
      if (activity.type === ActivityTypes.Message) await context.sendActivity(NUL_IN_MESSAGE);
      return false;
    }
    // A valid token says the Bot Framework sent the activity, not which channel the person
    // is on. Only Teams vouches for its users' tenant and Azure AD ids; Web Chat and Direct
    // Line clients choose theirs, so they are not served.
    if (activity.channelId !== 'msteams' && !this.deps.localMode) {
      this.deps.logger.warn(
        { channelId: activity.channelId },
        'an activity from a channel other than Teams',
      );
      return false;
    }
    const tenantId =
      (activity.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ??
      activity.conversation?.tenantId;
    // A message's mentions (a give's recipients) are read with its tenant and sender.
    const mentioned =
      activity.type === ActivityTypes.Message
        ? mentionedPeople(activity).map((mention) => mention.userId)
        : [];
    const admitted = await this.deps.tenants.withMember(
      tenantId,
      activity.from?.aadObjectId,
      mentioned,
    );
    if (admitted) {
      context.turnState.set(TENANT, admitted.tenant);
      if (admitted.member) context.turnState.set(SENDER, admitted.member);
      if (admitted.mentioned) context.turnState.set(MENTIONED, admitted.mentioned);
      return true;
    }
    this.deps.logger.info(
      { tenantId, type: activity.type },
      'Teams activity from a tenant not allowed',
    );
    if (activity.type === ActivityTypes.Message) await context.sendActivity(NOT_ALLOWED);
    if (isMessageExtensionInvoke(activity)) await answerInTaskModule(context, NOT_ALLOWED);
    return false;
  }

  async #onMessage(context: TurnContext): Promise<void> {
    const actor = await this.#actor(context);
    const clicked = clickedCommand(context.activity);
    if (clicked !== undefined) {
      // A reply's button: its command runs as the person who clicked, as if they had typed
      // it. Each click is an activity of its own, so its id keys it (a redelivery runs once).
      await this.#runAndAnswer(context, actor, clicked, []);
      return;
    }
    const text = commandText(context.activity);
    if (text === '' || /^give$/i.test(text)) {
      await this.#sendGiveCard(context, actor);
      return;
    }
    if (opensSettingsForm(text)) {
      await this.#sendSettingsCard(context, actor, text);
      return;
    }
    if (TeamsAnnouncements.isCommand(text)) {
      const reply = await this.deps.announcements.command(
        context,
        actor,
        this.#tenant(context),
        text,
      );
      const kind = conversationKind(context.activity.conversation.conversationType);
      await this.#answer(context, actor, reply, kind !== 'personal');
      return;
    }
    await this.#runAndAnswer(context, actor, text, mentionedPeople(context.activity));
  }

  /** A reaction to one of the bot's messages; a bot's own reactions are not looked at. */
  async #onReaction(context: TurnContext): Promise<void> {
    if (!TeamsReactions.fromPerson(context)) return;
    const actor = await this.#actor(context);
    await this.deps.reactions.on(context, actor, this.#tenant(context));
  }

  async #onCardSubmitted(context: TurnContext, data: GiveKudosSubmission): Promise<void> {
    const actor = await this.#actor(context);
    const { text, mentions } = submissionAsCommand(data);
    // Each click of Submit is a new activity; the card it came from is what is given once.
    const card = context.activity.replyToId;
    const key = card ? `teams:card:${context.activity.conversation.id}:${card}` : undefined;
    await this.#runAndAnswer(context, actor, text, mentions, key);
  }

  /**
   * The settings card's submission becomes the `admin settings key=value …` command of the
   * fields that changed, run as the person who submitted it: the command checks, refuses
   * and audits, and its answer is the reply.
   */
  async #onSettingsSubmitted(context: TurnContext, data: Record<string, unknown>): Promise<void> {
    const actor = await this.#actor(context);
    const { shown, submitted } = settingsCardSubmission(data);
    const change = settingsFormChange(
      shown ??
        settingsFormValues(await readProgramSettings(this.deps.services.db, actor.organizationId)),
      submitted,
    );
    if (change.keys.length === 0) {
      await context.sendActivity('Nothing changed: the settings are as they were.');
      return;
    }
    await this.#runAndAnswer(context, actor, change.command, []);
  }

  async #onMembersAdded(context: TurnContext): Promise<void> {
    const activity = context.activity;
    const botAdded = activity.membersAdded?.some((member) => member.id === activity.recipient.id);
    if (!botAdded) return;
    const kind = conversationKind(activity.conversation.conversationType);
    const tenant = this.#tenant(context);
    const installer = kind === 'personal' ? await this.#actor(context) : undefined;
    if (!installer) {
      await this.deps.conversations.remember({
        organizationId: tenant.organizationId,
        tenantId: tenant.tenantId,
        kind,
        memberId: null,
        reference: TurnContext.getConversationReference(activity),
      });
    }
    const name = activity.recipient.name || 'Plaudit';
    await context.sendActivity(
      `Hi, I am ${name}. Thank people with points: @${name} give @Ana 10 for the launch #teamwork. Say "@${name} help" for everything else.`,
    );
  }

  /** The member who sent the activity; their personal chat is remembered on the way. */
  async #actor(context: TurnContext): Promise<Member> {
    const activity = context.activity;
    const tenant = this.#tenant(context);
    const actor = await this.member(context);
    const kind = conversationKind(activity.conversation.conversationType);
    await this.deps.conversations.remember({
      organizationId: tenant.organizationId,
      tenantId: tenant.tenantId,
      kind,
      memberId: kind === 'personal' ? actor.id : null,
      reference: TurnContext.getConversationReference(activity),
    });
    return actor;
  }

  /**
   * The member who sent the activity, and nothing remembered: a message extension's
   * invoke comes from wherever the person is writing, a chat with a colleague too, which
   * is no conversation of the bot's.
   */
  member(context: TurnContext): Promise<Member> {
    const { from } = context.activity;
    return this.deps.directory.member(
      context,
      this.#tenant(context),
      { id: from.id, aadObjectId: from.aadObjectId, name: from.name },
      context.turnState.get(SENDER) as Member | undefined,
    );
  }

  /**
   * Runs a command as the actor through the shared router (the same grammar, policy,
   * ledger and answers as every command), keyed by `key` or else by the activity; once
   * points moved, the recipients' notifications are on their way.
   */
  async route(
    context: TurnContext,
    actor: Member,
    text: string,
    mentions: readonly MentionEntity[],
    key?: string,
  ): Promise<Reply> {
    const activity = context.activity;
    const tenant = this.#tenant(context);
    const kind = conversationKind(activity.conversation.conversationType);
    const reply = await this.deps.router
      .route({
        actor,
        text,
        mentions,
        // A redelivered activity has the same id in the same conversation: nothing twice.
        idempotencyKey: key ?? `teams:${activity.conversation.id}:${activity.id}`,
        platform: 'teams',
        tenantId: tenant.tenantId,
        channel: kind === 'personal' ? null : activity.conversation.id,
        commandName: `@${activity.recipient.name || 'Plaudit'}`,
        mentionResolver: this.deps.directory.resolverFor(
          context,
          tenant,
          context.turnState.get(MENTIONED) as ReadonlyMap<string, Member> | undefined,
        ),
        clock: systemClock,
      })
      .catch((error: unknown): Reply => {
        this.deps.logger.error({ err: error, activity: activity.id }, 'a Teams command failed');
        return textReply(FAILED, { outcome: 'refused', code: 'internal' });
      });
    // The points have moved: the recipients hear of it (from the notifications job) even if
    // the answer cannot be sent.
    if (reply.events.length > 0) this.deps.onGiven();
    return reply;
  }

  async #runAndAnswer(
    context: TurnContext,
    actor: Member,
    text: string,
    mentions: readonly MentionEntity[],
    key?: string,
  ): Promise<void> {
    const activity = context.activity;
    const kind = conversationKind(activity.conversation.conversationType);
    let reply = await this.route(context, actor, text, mentions, key);
    if (key && reply.code === 'idempotency_conflict') {
      reply = textReply(CARD_USED, { outcome: 'refused', code: 'card_used' });
    }
    try {
      await this.#answer(context, actor, reply, kind !== 'personal');
    } catch (error) {
      // Not rethrown: the turn's error handler would ask to try again, and a new message
      // would be a new kudos. Teams redelivers the same activity if it got no answer.
      this.deps.logger.warn(
        { err: error, activity: activity.id },
        'a Teams answer could not be sent',
      );
    }
  }

  /**
   * Answers in place; in a group chat or channel, a private answer (a balance, a refusal)
   * goes to the person's own chat with the bot instead, with a pointer to it.
   */
  async #answer(context: TurnContext, actor: Member, reply: Reply, shared: boolean): Promise<void> {
    const celebration = shared && celebratedKudos(reply).length > 0;
    const boostable =
      celebration &&
      (await this.deps.services.settings.load(actor.organizationId)).settings.boostsAllowed;
    const message = answer(reply, shared, boostable);
    if (!shared || celebration || reply.visibility !== 'private') {
      const sent = await context.sendActivity(message);
      const [event] = reply.events;
      // A reaction to the celebration names it by this id alone.
      if (celebration && event && sent?.id) {
        await this.deps.announcements.recordPost(
          actor.organizationId,
          context.activity.conversation.id,
          sent.id,
          event,
        );
      }
      return;
    }
    const tenant = this.#tenant(context);
    const sent = await this.deps.notifier.tellMember(
      { memberId: actor.id, organizationId: tenant.organizationId, tenantId: tenant.tenantId },
      message,
    );
    if (sent) {
      await context.sendActivity(`${actor.displayName}, I sent you the answer in our chat.`);
      return;
    }
    // A secret never falls back to the shared conversation: everyone there would see it.
    await context.sendActivity(reply.confidential ? withheld(actor) : message);
  }

  async #sendGiveCard(context: TurnContext, actor: Member): Promise<void> {
    const { settings } = await this.deps.services.settings.load(actor.organizationId);
    await context.sendActivity({
      type: ActivityTypes.Message,
      summary: 'Give kudos',
      attachments: [
        giveKudosCard({
          values: settings.values,
          defaultAmount: settings.defaultAmount,
          maxReasonLength: settings.maxReasonLength,
          privateKudosAllowed: settings.privateKudosAllowed,
        }),
      ],
    });
  }

  /**
   * The settings card, for an admin, filled in with the settings now; asked for in a group
   * chat or channel, it goes to the admin's own chat with the bot, like any private answer.
   * Anyone else gets what the command itself answers them: a refusal, audited as one.
   */
  async #sendSettingsCard(context: TurnContext, actor: Member, text: string): Promise<void> {
    if (!actor.roles.includes('admin')) {
      await this.#runAndAnswer(context, actor, text, []);
      return;
    }
    const settings = await readProgramSettings(this.deps.services.db, actor.organizationId);
    const message = {
      type: ActivityTypes.Message,
      summary: 'Program settings',
      attachments: [settingsCard({ values: settingsFormValues(settings) })],
    };
    if (conversationKind(context.activity.conversation.conversationType) !== 'personal') {
      const tenant = this.#tenant(context);
      const sent = await this.deps.notifier.tellMember(
        { memberId: actor.id, organizationId: tenant.organizationId, tenantId: tenant.tenantId },
        message,
      );
      if (sent) {
        await context.sendActivity(`${actor.displayName}, I sent you the settings in our chat.`);
        return;
      }
    }
    await context.sendActivity(message);
  }

  /** The tenant admitted for the turn (every handler's turn has one). */
  tenantOf(context: TurnContext): TeamsTenant {
    return this.#tenant(context);
  }

  #tenant(context: TurnContext): TeamsTenant {
    const tenant = context.turnState.get(TENANT) as TeamsTenant | undefined;
    if (!tenant) throw new Error('a Teams turn ran without an admitted tenant');
    return tenant;
  }
}

/** The command a reply's button carries (`Action.Submit` data), if the message is a click. */
function clickedCommand(activity: Activity): string | undefined {
  const command = (activity.value as Record<string, unknown> | undefined)?.[COMMAND_FIELD];
  return typeof command === 'string' ? command : undefined;
}

/**
 * A reply as a Teams message: refusals and usage as plain text; answers as a card; a
 * kudos given in a group chat or channel as the celebration everyone there sees.
 */
/** What a shared conversation gets when a confidential answer could not be sent privately. */
const withheld = (actor: Member) =>
  `${actor.displayName}, I could not reach you in our personal chat, and this answer is for you alone; open a chat with me and ask there.`;

function answer(reply: Reply, shared: boolean, boostable: boolean): Partial<Activity> {
  if (reply.outcome !== 'ok') return plainMessage(reply.text);
  const events = celebratedKudos(reply);
  const attachments =
    shared && events.length > 0
      ? events.map((given) => celebrationCard(given, { boosts: [], boostable }))
      : [replyCard(reply)];
  return { type: ActivityTypes.Message, summary: reply.text, attachments };
}

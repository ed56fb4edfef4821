import type {
  Activity,
  CloudAdapter,
  ConversationParameters,
  ConversationReference,
  TurnContext,
} from 'botbuilder';
import type { Logger } from 'pino';
import type { Pace, RecipientNotifier, Telling } from '../core/notifier.ts';
import type { KudosGiven } from '../core/reply.ts';
import type { Database } from '../db/database.ts';
import { privateKudosNote } from '../recognition/announcement.ts';
import { points } from '../recognition/wording.ts';
import type { TeamsConversations } from './teams-conversations.ts';
import { teamsSend } from './teams-send-failures.ts';
import { plainMessage } from './teams-text.ts';

/**
 * What sending to Teams takes of botbuilder's CloudAdapter: proactive turns, in a known
 * conversation or a new personal chat. The web process's adapter is one; a worker's loads
 * botbuilder on its first send (see `proactiveTeamsAdapter`).
 */
export type ProactiveAdapter = Pick<
  CloudAdapter,
  'continueConversationAsync' | 'createConversationAsync'
>;

/** The Bot Framework's audience for tokens to the public cloud's channels. */
const BOT_FRAMEWORK_AUDIENCE = 'https://api.botframework.com';

/** A member the bot may write to in Teams. */
export interface TeamsTarget {
  readonly memberId: number;
  readonly organizationId: number;
  /** The tenant to open a chat in, when the member has none with the bot. */
  readonly tenantId?: string;
}

type Message = string | Partial<Activity>;

/**
 * Personal messages in Teams: in the member's chat with the bot when there is one,
 * otherwise in a new one-to-one chat the bot opens (Teams allows that once the app is
 * installed for the person or in a team of theirs). It is also Teams' side of the
 * notifier port: a personal message to each recipient of kudos.
 */
export class TeamsNotifier implements RecipientNotifier {
  readonly platform = 'teams' as const;

  constructor(
    private readonly adapter: ProactiveAdapter,
    private readonly appId: string,
    private readonly db: Database,
    private readonly conversations: TeamsConversations,
    private readonly logger: Logger,
    /** How far apart messages to one chat go (TEAMS_SEND_TURN_MS: Teams takes 1,800 an hour). */
    readonly turnMs: number,
  ) {}

  async tellRecipient(event: KudosGiven, memberId: number, pace: Pace): Promise<Telling> {
    const reason = event.message ? ` for ${event.message}` : '';
    const text = `🎉 ${event.giver.name} gave you ${points(event.amountEach)}${reason}${privateKudosNote(event)}`;
    return this.tellPerson(event.organizationId, memberId, text, pace);
  }

  async tellPerson(
    organizationId: number,
    memberId: number,
    text: string,
    pace: Pace,
  ): Promise<Telling> {
    const target = { memberId, organizationId };
    const chats = await this.conversations.personalChats(organizationId, [memberId]);
    const chat = chats.get(memberId);
    if (!chat && !(await this.#teamsUser(target))) return 'not-here';
    await pace(`teams:person:${memberId}`, this.turnMs);
    return (await this.#deliver(target, plainMessage(text), chat)) ? 'told' : 'not-here';
  }

  /** Sends a member a personal message; false when Teams could not be reached for them. */
  async tellMember(target: TeamsTarget, message: Message): Promise<boolean> {
    const chats = await this.conversations.personalChats(target.organizationId, [target.memberId]);
    try {
      return await this.#deliver(target, message, chats.get(target.memberId));
    } catch (error) {
      this.logger.warn(
        { err: error, memberId: target.memberId },
        'a Teams personal message failed',
      );
      return false;
    }
  }

  /**
   * Writes in the member's chat with the bot, or opens one; false when there is no way to
   * open one. Throws `UndeliverableMessage` when Teams refuses for good.
   */
  async #deliver(
    target: TeamsTarget,
    message: Message,
    chat: Partial<ConversationReference> | undefined,
  ): Promise<boolean> {
    if (!chat) return this.#openChat(target, message);
    await teamsSend('writing in a personal chat', () =>
      throwingFromTurn(
        (logic) => this.adapter.continueConversationAsync(this.appId, chat, logic),
        async (context) => {
          await context.sendActivity(message);
        },
      ),
    );
    return true;
  }

  /** Opens a one-to-one chat with a member the bot has seen, remembers it, and writes there. */
  async #openChat(target: TeamsTarget, message: Message): Promise<boolean> {
    const user = await this.#teamsUser(target);
    if (!user) return false;
    const known = await this.conversations.anyReference(target.organizationId, user.tenantId);
    const serviceUrl = known?.serviceUrl;
    if (!serviceUrl || !known.bot) return false;
    // Only where and as whom to write is taken from the other conversation.
    const base = { channelId: 'msteams', serviceUrl, bot: known.bot };
    // The schema types a first activity as required; the Connector does not need one (the
    // message is sent in the new conversation right after).
    const parameters = {
      isGroup: false,
      bot: known.bot,
      members: [{ id: user.userId, name: '' }],
      tenantId: user.tenantId,
      channelData: { tenant: { id: user.tenantId } },
    } satisfies Omit<ConversationParameters, 'activity'> as ConversationParameters;
    await teamsSend('opening a personal chat', () =>
      throwingFromTurn(
        (logic) =>
          this.adapter.createConversationAsync(
            this.appId,
            'msteams',
            serviceUrl,
            BOT_FRAMEWORK_AUDIENCE,
            parameters,
            logic,
          ),
        async (context: TurnContext) => {
          const conversation = context.activity?.conversation;
          if (conversation?.id) {
            const reference: Partial<ConversationReference> = {
              ...base,
              conversation: { ...conversation, tenantId: user.tenantId },
              user: { id: user.userId, name: '' },
            };
            await this.conversations.remember({
              organizationId: target.organizationId,
              tenantId: user.tenantId,
              kind: 'personal',
              memberId: target.memberId,
              reference,
            });
          }
          await context.sendActivity(message);
        },
      ),
    );
    return true;
  }

  /** The Teams user id of a member the bot has seen (in a mention or a message). */
  async #teamsUser(target: TeamsTarget): Promise<{ tenantId: string; userId: string } | undefined> {
    let query = this.db
      .selectFrom('platform_identities as p')
      .innerJoin('teams_users as u', (join) =>
        join.onRef('u.tenant_id', '=', 'p.tenant_id').onRef('u.aad_object_id', '=', 'p.user_id'),
      )
      .select(['p.tenant_id', 'u.user_id'])
      .where('p.platform', '=', 'teams')
      .where('p.organization_id', '=', target.organizationId)
      .where('p.member_id', '=', target.memberId);
    if (target.tenantId) query = query.where('p.tenant_id', '=', target.tenantId);
    const row = await query.limit(1).executeTakeFirst();
    return row && { tenantId: row.tenant_id, userId: row.user_id };
  }
}

/**
 * Runs a proactive turn and throws what its logic threw. The adapter hands a turn's error
 * to its `onTurnError` (which answers users of incoming messages) and resolves: a failed
 * send would pass for a sent one.
 */
export async function throwingFromTurn(
  run: (logic: (context: TurnContext) => Promise<void>) => Promise<void>,
  logic: (context: TurnContext) => Promise<void>,
): Promise<void> {
  let failure: { error: unknown } | undefined;
  await run(async (context) => {
    try {
      await logic(context);
    } catch (error) {
      failure = { error };
    }
  });
  if (failure) throw failure.error;
}

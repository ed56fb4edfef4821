import type { CloudAdapter, ConversationReference, TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import type { RecipientNotifier } from '../core/notifier.ts';
import type { KudosGiven } from '../core/reply.ts';
import type { Database } from '../db/database.ts';
import { points } from '../recognition/wording.ts';
import type { TeamsConversations } from './teams-conversations.ts';

/** The Bot Framework's audience for tokens to the public cloud's channels. */
const BOT_FRAMEWORK_AUDIENCE = 'https://api.botframework.com';

/** A recipient the bot can reach in Teams without a personal chat yet. */
interface TeamsRecipient {
  readonly memberId: number;
  readonly tenantId: string;
  readonly userId: string;
}

/**
 * Teams' side of the notifier port: a personal message to each recipient, in their chat
 * with the bot when there is one, otherwise in a new one-to-one chat the bot opens (Teams
 * allows that once the app is installed for the person or in a team of theirs).
 */
export class TeamsNotifier implements RecipientNotifier {
  readonly platform = 'teams' as const;

  constructor(
    private readonly adapter: CloudAdapter,
    private readonly appId: string,
    private readonly db: Database,
    private readonly conversations: TeamsConversations,
    private readonly logger: Logger,
  ) {}

  async tellRecipients(event: KudosGiven, told: ReadonlySet<number>): Promise<number[]> {
    const pending = event.recipients
      .map((recipient) => recipient.memberId)
      .filter((memberId) => !told.has(memberId));
    if (pending.length === 0) return [];
    const reason = event.message ? ` for ${event.message}` : '';
    const text = `🎉 ${event.giver.name} gave you ${points(event.amountEach)}${reason}`;
    const chats = await this.conversations.personalChats(pending);
    const withoutChat = pending.filter((memberId) => !chats.has(memberId));
    const sent = await Promise.all([
      ...[...chats].map(([memberId, reference]) => this.#send(memberId, reference, text)),
      ...(await this.#reachable(withoutChat)).map((recipient) =>
        this.#openChat(event.organizationId, recipient, text),
      ),
    ]);
    return sent.filter((memberId): memberId is number => memberId !== undefined);
  }

  async #send(
    memberId: number,
    reference: Partial<ConversationReference>,
    text: string,
  ): Promise<number | undefined> {
    try {
      await this.adapter.continueConversationAsync(this.appId, reference, async (context) => {
        await context.sendActivity(text);
      });
      return memberId;
    } catch (error) {
      this.logger.warn({ err: error, memberId }, 'a Teams personal message failed');
      return undefined;
    }
  }

  /** Opens a one-to-one chat with a recipient, remembers it, and writes there. */
  async #openChat(
    organizationId: number,
    recipient: TeamsRecipient,
    text: string,
  ): Promise<number | undefined> {
    const known = await this.conversations.anyReference(organizationId);
    if (!known?.serviceUrl || !known.bot) return undefined;
    try {
      await this.adapter.createConversationAsync(
        this.appId,
        'msteams',
        known.serviceUrl,
        BOT_FRAMEWORK_AUDIENCE,
        {
          isGroup: false,
          bot: known.bot,
          members: [{ id: recipient.userId, name: '' }],
          tenantId: recipient.tenantId,
          channelData: { tenant: { id: recipient.tenantId } },
          activity: undefined as never,
        },
        async (context: TurnContext) => {
          const reference = context.activity
            ? {
                ...known,
                conversation: context.activity.conversation,
                user: { id: recipient.userId, name: '' },
              }
            : undefined;
          if (reference?.conversation?.id) {
            await this.conversations.remember({
              organizationId,
              kind: 'personal',
              memberId: recipient.memberId,
              reference,
            });
          }
          await context.sendActivity(text);
        },
      );
      return recipient.memberId;
    } catch (error) {
      this.logger.warn(
        { err: error, memberId: recipient.memberId },
        'could not open a Teams chat with a recipient',
      );
      return undefined;
    }
  }

  /** Recipients with a Teams user id the bot has seen (in a mention or a message). */
  async #reachable(memberIds: readonly number[]): Promise<TeamsRecipient[]> {
    if (memberIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('platform_identities as p')
      .innerJoin('teams_users as u', (join) =>
        join.onRef('u.tenant_id', '=', 'p.tenant_id').onRef('u.aad_object_id', '=', 'p.user_id'),
      )
      .select(['p.member_id', 'p.tenant_id', 'u.user_id'])
      .where('p.platform', '=', 'teams')
      .where('p.member_id', 'in', [...memberIds])
      .execute();
    const byMember = new Map(
      rows.map((row) => [
        row.member_id,
        { memberId: row.member_id, tenantId: row.tenant_id, userId: row.user_id },
      ]),
    );
    return [...byMember.values()];
  }
}

import type { ConversationReference } from 'botbuilder';
import { sql } from 'kysely';
import { anyOf, compiledQuery } from '../db/compiled-query.ts';
import type { Database } from '../db/database.ts';
import type { TeamsConversationKind } from '../db/tables.ts';

/** A conversation the bot was part of, kept so it can write there later (proactively). */
export interface KnownConversation {
  readonly organizationId: number;
  /** The Microsoft 365 tenant it is in. */
  readonly tenantId: string;
  readonly kind: TeamsConversationKind;
  /** The person a personal chat is with. */
  readonly memberId: number | null;
  readonly reference: Partial<ConversationReference>;
}

/** What Teams calls a conversation; the Emulator names none, and its chats are personal. */
export function conversationKind(conversationType: string | undefined): TeamsConversationKind {
  return conversationType === 'channel' || conversationType === 'groupChat'
    ? conversationType
    : 'personal';
}

/**
 * Conversation references per member (their personal chat with the bot) and per group
 * chat and channel, stored on install and on each message. Writes are skipped when this
 * process has already stored the same reference.
 */
export class TeamsConversations {
  readonly #stored = new Map<string, string>();

  constructor(private readonly db: Database) {}

  async remember(conversation: KnownConversation): Promise<void> {
    const id = conversation.reference.conversation?.id;
    if (!id) return;
    const key = `${conversation.organizationId}:${id}`;
    // Without the activity it came with: a later message starts anew instead of replying
    // to that activity (in a channel, in its thread).
    const { activityId: _reply, ...where } = conversation.reference;
    const reference = JSON.stringify(where);
    const fingerprint = `${conversation.memberId}:${reference}`;
    if (this.#stored.get(key) === fingerprint) return;
    await this.db
      .insertInto('teams_conversations')
      .values({
        organization_id: conversation.organizationId,
        tenant_id: conversation.tenantId,
        conversation_id: id,
        kind: conversation.kind,
        member_id: conversation.memberId,
        reference,
      })
      .onConflict((conflict) =>
        conflict.columns(['organization_id', 'conversation_id']).doUpdateSet({
          reference,
          member_id: conversation.memberId,
          updated_at: sql<Date>`now()`,
        }),
      )
      .execute();
    this.#stored.set(key, fingerprint);
  }

  /** The latest personal chat of each of these members of the organization that has one. */
  async personalChats(
    organizationId: number,
    memberIds: readonly number[],
  ): Promise<Map<number, Partial<ConversationReference>>> {
    if (memberIds.length === 0) return new Map();
    const rows = await personalChatsOf(this.db, organizationId, [...new Set(memberIds)]);
    // Later rows overwrite earlier ones: each member keeps their latest chat.
    return new Map(
      rows.map((row) => [row.member_id as number, row.reference as Partial<ConversationReference>]),
    );
  }

  /** The latest conversation in a tenant: its service URL is where new chats are opened. */
  async anyReference(
    organizationId: number,
    tenantId: string,
  ): Promise<Partial<ConversationReference> | undefined> {
    const row = await this.db
      .selectFrom('teams_conversations')
      .select('reference')
      .where('organization_id', '=', organizationId)
      .where('tenant_id', '=', tenantId)
      .orderBy('updated_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.reference as Partial<ConversationReference> | undefined;
  }
}

/** Read by every personal message in Teams: compiled once. */
const personalChatsOf = compiledQuery((db, organizationId: number, memberIds: number[]) =>
  db
    .selectFrom('teams_conversations')
    .select(['member_id', 'reference'])
    .where('organization_id', '=', organizationId)
    // Written into the statement, not a value of it: the plan Postgres keeps for every run
    // can then use the index of personal chats (a partial one), and it keeps one.
    .where('kind', '=', sql.lit('personal'))
    .where('member_id', '=', anyOf(memberIds, 'bigint'))
    .orderBy('updated_at', 'asc'),
);

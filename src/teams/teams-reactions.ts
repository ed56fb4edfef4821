import type { TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { z } from 'zod/v4';
import { findMember, type Member } from '../directory/members.ts';
import {
  giveForReaction,
  type Reaction,
  reactionPointsOf,
  removeReaction,
} from '../recognition/reaction-kudos.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { channelOf } from './teams-announcements.ts';
import type { TeamsNotifier } from './teams-notifier.ts';
import type { TeamsTenant } from './teams-tenants.ts';
import { plainMessage } from './teams-text.ts';

/** A reaction to one of Plaudit's own messages that celebrates no kudos. */
const NOT_A_CELEBRATION =
  'That message is from Plaudit, not a celebration of kudos; reactions give points only on celebration posts.';
const RECEIVED_IT =
  'That celebration is of kudos you received; your reaction gives nobody points. Thank the giver with a kudos of your own.';
const GAVE_IT =
  'That celebration is of your own kudos; your reaction gives no more points. Give again if you mean to.';

/** What a `messageReaction` activity carries that Plaudit reads (Teams sends `type` only). */
const reactionsOf = z
  .array(z.object({ type: z.string().trim().min(1).max(100) }))
  .optional()
  .transform((reactions) => (reactions ?? []).map((reaction) => reaction.type.toLowerCase()));

/** A Teams user id of a bot (`28:…`) rather than a person (`29:…`). */
const isBotId = (id: string | undefined) => id?.startsWith('28:') ?? false;

export interface TeamsReactionDependencies {
  readonly services: RecognitionServices;
  readonly notifier: TeamsNotifier;
  readonly logger: Logger;
  /** Called once a reaction gave kudos: the outbox relay hands its announcement on. */
  readonly onGiven: () => void;
}

/**
 * Reactions as kudos in Teams. Teams tells a bot of reactions only to messages the bot
 * sent, names the message by its id alone, and has a fixed set of reactions (`like`,
 * `heart`, `laugh`, `surprised`, `sad`, `angry`; newer clients send more, each by a name
 * such as `1f44f_clappinghands`) with no custom emoji. So a reaction to one of Plaudit's
 * celebration posts (in the channel where the kudos was given or the announcement
 * channel) gives that kudos' recipients the points the organization's `reactions` setting
 * names for it (`like:1`), from the reactor's allowance, through the same service,
 * policy and ledger as Slack's reactions; removing it within the grace period takes them
 * back. Whatever is refused is told to the reactor alone, in their personal chat.
 */
export class TeamsReactions {
  constructor(private readonly deps: TeamsReactionDependencies) {}

  /** Whether an activity is a reaction from a person, worth resolving who sent it. */
  static fromPerson(context: TurnContext): boolean {
    return !isBotId(context.activity.from?.id);
  }

  async on(context: TurnContext, reactor: Member, tenant: TeamsTenant): Promise<void> {
    const activity = context.activity;
    const messageId = activity.replyToId;
    const added = reactionsOf.safeParse(activity.reactionsAdded);
    const removed = reactionsOf.safeParse(activity.reactionsRemoved);
    if (!messageId || !added.success || !removed.success) return;
    const { services } = this.deps;
    const { settings } = await services.settings.load(reactor.organizationId);
    const counts = (type: string) => reactionPointsOf(settings, type) !== undefined;
    // Most reactions give nothing: nothing is looked up for them.
    const adding = added.data.filter(counts);
    const removing = removed.data.filter(counts);
    if (adding.length === 0 && removing.length === 0) return;
    const tell = (text: string) =>
      this.deps.notifier.tellMember(
        { memberId: reactor.id, organizationId: reactor.organizationId, tenantId: tenant.tenantId },
        plainMessage(text),
      );
    const channel = channelOf(activity.conversation.id);
    const kudos = await this.#celebrated(reactor.organizationId, channel, messageId);
    if (!kudos) {
      if (adding.length > 0) await tell(NOT_A_CELEBRATION);
      return;
    }
    if (kudos.recipientIds.includes(reactor.id) || kudos.giverId === reactor.id) {
      if (adding.length > 0) await tell(kudos.giverId === reactor.id ? GAVE_IT : RECEIVED_IT);
      return;
    }
    const thanked = await Promise.all(
      kudos.recipientIds.map((id) => findMember(services.db, reactor.organizationId, id)),
    );
    const reaction = (emoji: string): Reaction => ({
      reactor,
      thanked: thanked.filter((member): member is Member => member !== undefined),
      emoji,
      platform: 'teams',
      tenantId: tenant.tenantId,
      channel,
      messageId,
      link: `${kudos.giverName}'s kudos #${kudos.recognitionId}`,
    });
    for (const emoji of removing) {
      const outcome = await removeReaction(services, reaction(emoji));
      this.deps.logger.debug({ outcome, messageId }, 'a Teams reaction was removed');
    }
    for (const emoji of adding) {
      const reply = await giveForReaction(services, reaction(emoji));
      // A redelivery replays the first answer, which the reactor was told already.
      if (!reply || (reply.outcome === 'ok' && reply.events.length === 0)) continue;
      if (reply.events.length > 0) this.deps.onGiven();
      await tell(reply.text);
    }
  }

  /** The kudos a celebration post of Plaudit's announced, if the message is one. */
  async #celebrated(organizationId: number, channel: string, messageId: string) {
    const rows = await this.deps.services.db
      .selectFrom('teams_celebration_posts as p')
      .innerJoin('recognitions as r', 'r.id', 'p.recognition_id')
      .innerJoin('members as g', (join) =>
        join.onRef('g.organization_id', '=', 'r.organization_id').onRef('g.id', '=', 'r.giver_id'),
      )
      .innerJoin('recognition_recipients as q', 'q.recognition_id', 'r.id')
      .select(['r.id', 'r.giver_id', 'g.display_name', 'q.recipient_id'])
      .where('p.organization_id', '=', organizationId)
      .where('p.conversation_id', '=', channel)
      .where('p.activity_id', '=', messageId)
      .orderBy('q.recipient_id')
      .execute();
    const [first] = rows;
    return (
      first && {
        recognitionId: first.id,
        giverId: first.giver_id,
        giverName: first.display_name,
        recipientIds: rows.map((row) => row.recipient_id),
      }
    );
  }
}

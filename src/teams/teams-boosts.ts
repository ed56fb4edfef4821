import { ActivityTypes, type TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { z } from 'zod/v4';
import { InSequence } from '../core/in-sequence.ts';
import { type Reply, textReply } from '../core/reply.ts';
import type { Member } from '../directory/members.ts';
import { announcedKudos, boostKudos, boostsOf } from '../recognition/boosts.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { BOOST_AMOUNT_FIELD, celebrationCard } from './teams-cards.ts';
import { conversationKind } from './teams-conversations.ts';
import type { TeamsNotifier } from './teams-notifier.ts';
import type { TeamsTenant } from './teams-tenants.ts';
import { plainMessage } from './teams-text.ts';

const FAILED = textReply('Something went wrong on our side; please try again in a moment.', {
  outcome: 'refused',
  code: 'internal',
});

/** What a celebration's Boost action sends: the kudos, and the points typed into its card. */
const boostSubmission = z.object({
  recognitionId: z.coerce.number().int().positive(),
  [BOOST_AMOUNT_FIELD]: z.unknown(),
});

export interface TeamsBoostDependencies {
  readonly services: RecognitionServices;
  /** Sends to a member's personal chat with the bot: a boost's answer is theirs alone. */
  readonly notifier: TeamsNotifier;
  /** Called once a boost moved points: the outbox relay hands its notifications on. */
  readonly onGiven: () => void;
  readonly logger: Logger;
}

/**
 * Boosts in Teams: the Boost action of a celebration card unfolds an amount in the card
 * (the kudos' own, changeable), and its submission boosts the kudos as the person who
 * sent it. The answer, a refusal too, goes to their personal chat with the bot (in the
 * conversation only when that chat cannot be reached), and the card clicked is updated
 * in place with every boost the kudos has had.
 */
export class TeamsBoosts {
  /** Updates of one card run in turn, each drawing the boosts committed by then. */
  readonly #redraws = new InSequence();

  constructor(private readonly deps: TeamsBoostDependencies) {}

  async submitted(
    context: TurnContext,
    actor: Member,
    tenant: TeamsTenant,
    data: unknown,
  ): Promise<void> {
    const submission = boostSubmission.safeParse(data);
    if (!submission.success) return;
    const activity = context.activity;
    const shared = conversationKind(activity.conversation.conversationType) !== 'personal';
    const reply = await boostKudos(this.deps.services, {
      booster: actor,
      recognitionId: submission.data.recognitionId,
      amount: submission.data[BOOST_AMOUNT_FIELD],
      platform: 'teams',
      tenantId: tenant.tenantId,
      channel: shared ? activity.conversation.id : null,
    }).catch((error: unknown) => {
      this.deps.logger.error({ err: error, activity: activity.id }, 'a Teams boost failed');
      return FAILED;
    });
    const boosted = reply.events[0]?.boostOf;
    if (boosted !== undefined) this.deps.onGiven();
    await this.#answer(context, actor, tenant, reply, shared);
    const card = activity.replyToId;
    if (!card) return;
    if (boosted !== undefined) await this.#redraw(context, card, boosted);
    // A card from before boosts were turned off loses its action.
    else if (reply.code === 'boosts_off') {
      await this.#redraw(context, card, submission.data.recognitionId);
    }
  }

  /** The answer, to the person alone where Teams lets the bot reach them so. */
  async #answer(
    context: TurnContext,
    actor: Member,
    tenant: TeamsTenant,
    reply: Reply,
    shared: boolean,
  ): Promise<void> {
    const message = plainMessage(reply.text);
    if (shared) {
      const target = {
        memberId: actor.id,
        organizationId: tenant.organizationId,
        tenantId: tenant.tenantId,
      };
      if (await this.deps.notifier.tellMember(target, message)) return;
    }
    await context.sendActivity(message);
  }

  /** Updates the celebration card clicked (activity `card`) with its kudos' boosts now. */
  #redraw(context: TurnContext, card: string, recognitionId: number): Promise<void> {
    const key = `${context.activity.conversation.id}:${card}`;
    return this.#redraws.run(key, async () => {
      const { db, settings } = this.deps.services;
      const announced = await announcedKudos(db, recognitionId);
      if (!announced) return;
      const { event } = announced;
      const boostable = (await settings.load(event.organizationId)).settings.boostsAllowed;
      const attachment = celebrationCard(event, {
        boosts: await boostsOf(db, recognitionId),
        boostable,
      });
      await context
        .updateActivity({ type: ActivityTypes.Message, id: card, attachments: [attachment] })
        .catch((error: unknown) => {
          // The points moved and the person was told; a card left as it was is no fault.
          this.deps.logger.warn({ err: error, card }, 'a Teams celebration could not be updated');
        });
    });
  }
}

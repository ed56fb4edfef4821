import type * as bolt from '@slack/bolt';
import type { Logger } from 'pino';
import { FollowUps } from '../core/follow-ups.ts';
import type { Member } from '../directory/members.ts';
import { OutsiderUser } from '../directory/outsiders.ts';
import {
  giveForReaction,
  type Reaction,
  reactionPointsOf,
  removeReaction,
} from '../recognition/reaction-kudos.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { outsidersSentence } from '../recognition/wording.ts';
import { messageLink } from './give-kudos-modal.ts';
import { isUnknownSlackUser, type SlackDirectory } from './slack-directory.ts';
import type { SlackNotifier } from './slack-notifier.ts';
import type { SlackWorkspace } from './slack-workspaces.ts';

/** A message written by an app or a bot has no `item_user`: nobody to thank. */
const FROM_A_BOT = 'That message is from an app or a bot; kudos are for people.';

/** What `reaction_added` and `reaction_removed` carry that Plaudit reads. */
interface ReactionEvent {
  readonly user: string;
  readonly reaction: string;
  readonly item_user?: string;
  readonly item: { readonly type: string; readonly channel?: string; readonly ts?: string };
}

export interface SlackReactionDependencies {
  readonly services: RecognitionServices;
  readonly directory: SlackDirectory;
  readonly notifier: SlackNotifier;
  readonly logger: Logger;
  /** Called once a reaction gave kudos: the outbox relay hands its announcement on. */
  readonly onGiven: () => void;
}

/**
 * Reactions as kudos in Slack: a `reaction_added` with an emoji the organization named
 * gives the message's author its points, and a `reaction_removed` within the grace period
 * takes them back. Bolt acks each event first; the work follows. Whatever is refused is
 * told to the reactor alone (an ephemeral message, else a DM), never in the channel.
 */
export class SlackReactions {
  readonly #followUps: FollowUps;

  constructor(private readonly deps: SlackReactionDependencies) {
    this.#followUps = new FollowUps(deps.logger);
  }

  register(app: bolt.App): void {
    app.event('reaction_added', async ({ event, context, client }) =>
      this.#on(context, client, event as ReactionEvent, 'added'),
    );
    app.event('reaction_removed', async ({ event, context, client }) =>
      this.#on(context, client, event as ReactionEvent, 'removed'),
    );
  }

  /** Resolves when the reactions taken so far have been applied. */
  settled(): Promise<void> {
    return this.#followUps.settled();
  }

  #on(
    context: bolt.Context,
    client: bolt.webApi.WebClient,
    event: ReactionEvent,
    change: 'added' | 'removed',
  ): void {
    const workspace = context.workspace as SlackWorkspace | undefined;
    const { channel, ts } = event.item;
    if (!workspace || event.item.type !== 'message' || !channel || !ts) return;
    this.#followUps.start(`a Slack reaction ${change}`, async () => {
      const { settings } = await this.deps.services.settings.load(workspace.organizationId);
      // Most reactions give nothing: nobody is looked up for them.
      if (reactionPointsOf(settings, event.reaction) === undefined) return;
      const reactor = await this.#member(workspace, event.user);
      // Someone from outside the organization gives nothing here, and is not a member.
      if (!reactor || reactor instanceof OutsiderUser) return;
      const tell = (text: string) =>
        this.deps.notifier.toGiver({ teamId: workspace.teamId, client }, event.user, channel, text);
      if (!event.item_user) {
        if (change === 'added') await tell(FROM_A_BOT);
        return;
      }
      const author = await this.#member(workspace, event.item_user);
      if (author instanceof OutsiderUser || author === undefined) {
        if (change === 'added' && author) await tell(outsidersSentence([author.displayName]));
        return;
      }
      const reaction: Reaction = {
        reactor,
        thanked: [author],
        emoji: event.reaction,
        platform: 'slack',
        tenantId: workspace.teamId,
        channel,
        messageId: ts,
        link: messageLink(undefined, channel, ts),
      };
      if (change === 'removed') {
        const removed = await removeReaction(this.deps.services, reaction);
        this.deps.logger.debug({ removed, channel, ts }, 'a Slack reaction was removed');
        return;
      }
      const reply = await giveForReaction(this.deps.services, reaction);
      if (!reply) return;
      // A redelivery replays the first answer, which the reactor was told already.
      if (reply.outcome === 'ok' && reply.events.length === 0) return;
      await tell(reply.text);
      if (reply.events.length > 0) this.deps.onGiven();
    });
  }

  /** The member a Slack user is; an outsider as such; undefined for one Slack no longer knows. */
  #member(workspace: SlackWorkspace, userId: string): Promise<Member | OutsiderUser | undefined> {
    return this.deps.directory.member(workspace, userId).catch((error: unknown) => {
      if (error instanceof OutsiderUser) return error;
      if (isUnknownSlackUser(error)) return undefined;
      throw error;
    });
  }
}

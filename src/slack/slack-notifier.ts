import type { webApi } from '@slack/bolt';
import type { Pace } from '../core/notifier.ts';
import type { KudosGiven } from '../core/reply.ts';
import type { WorkSlots } from '../core/work-slots.ts';
import { announcementText, privateKudosNote } from '../recognition/announcement.ts';
import { boostsLine, type CelebrationBoosts } from '../recognition/boosts.ts';
import { points } from '../recognition/wording.ts';
import { AS_WRITTEN, announcementBlocks, escapeSlackText } from './slack-blocks.ts';
import { slackSend } from './slack-send-failures.ts';

/** A workspace's Web API client: the request's, or its installation's for background work. */
export interface WorkspaceClient {
  readonly teamId: string;
  readonly client: webApi.WebClient;
}

/** The notification's words: names and reason as text, no mention in it. */
function celebrationText(event: KudosGiven, boosts: CelebrationBoosts): string {
  const boosted = boostsLine(boosts.boosts);
  return escapeSlackText(`${announcementText(event)}${boosted ? ` (${boosted})` : ''}`);
}

/**
 * Messages in Slack: the celebration in the channel where a kudos was given, a direct
 * message to each recipient, and the answer to a modal's giver. The first two are sent by
 * notification jobs, one message each, each waiting for its turn on the channel or the
 * person (one a second, shared by every process), and taking a slot shared with the Home
 * tabs so that background calls never crowd out answers. Each call is made with the
 * client of the workspace it is for.
 */
export class SlackNotifier {
  /** DM channels, by workspace and person. */
  readonly #dmChannels = new Map<string, string>();

  constructor(
    /** Shared with the Home tabs: how many notification calls may run at once. */
    private readonly slots: WorkSlots,
    /** How far apart messages to one channel or person go (SLACK_SEND_TURN_MS). */
    private readonly turnMs: number,
  ) {}

  /** Tells the giver how a modal submission went (plain text): in the channel, else by DM. */
  async toGiver(
    to: WorkspaceClient,
    userId: string,
    channel: string | null,
    answer: string,
  ): Promise<void> {
    const text = escapeSlackText(answer);
    if (channel) {
      const posted = await to.client.chat
        .postEphemeral({ channel, user: userId, text, ...AS_WRITTEN })
        .then(() => true)
        .catch(() => false);
      if (posted) return;
    }
    await to.client.chat.postMessage({
      channel: await this.#dmChannel(to, userId),
      text,
      ...AS_WRITTEN,
    });
  }

  /** Posts the celebration in the channel it was given in, when it was given in one. */
  async celebrate(
    to: WorkspaceClient,
    event: KudosGiven,
    slackIds: ReadonlyMap<number, string>,
    pace: Pace,
    boosts: CelebrationBoosts,
  ): Promise<void> {
    const channel = event.channel;
    if (!channel) return;
    await pace(`slack:channel:${channel}`, this.turnMs);
    await this.slots.run(() =>
      slackSend('posting a celebration', () =>
        to.client.chat.postMessage({
          channel,
          text: celebrationText(event, boosts),
          blocks: announcementBlocks(event, slackIds, boosts),
          ...AS_WRITTEN,
        }),
      ),
    );
  }

  /** Redraws a celebration already posted (message `ts` in `channel`) with its boosts now. */
  async updateCelebration(
    to: WorkspaceClient,
    posted: { readonly channel: string; readonly ts: string },
    event: KudosGiven,
    slackIds: ReadonlyMap<number, string>,
    boosts: CelebrationBoosts,
  ): Promise<void> {
    await this.slots.run(() =>
      slackSend('updating a celebration', () =>
        to.client.chat.update({
          channel: posted.channel,
          ts: posted.ts,
          text: celebrationText(event, boosts),
          blocks: announcementBlocks(event, slackIds, boosts),
          ...AS_WRITTEN,
        }),
      ),
    );
  }

  /** Sends one recipient a direct message about the kudos. */
  tellRecipient(to: WorkspaceClient, event: KudosGiven, userId: string, pace: Pace): Promise<void> {
    const reason = event.message ? ` for ${escapeSlackText(event.message)}` : '';
    const text = `${escapeSlackText(event.giver.name)} gave you ${points(event.amountEach)}${reason}${privateKudosNote(event)}`;
    return this.directMessage(to, userId, text, pace);
  }

  /** Sends a person a direct message (mrkdwn, its plain parts escaped), in their turn. */
  async directMessage(
    to: WorkspaceClient,
    userId: string,
    text: string,
    pace: Pace,
  ): Promise<void> {
    await pace(`slack:person:${userId}`, this.turnMs);
    await this.slots.run(async () => {
      const channel = await slackSend('opening a direct message', () =>
        this.#dmChannel(to, userId),
      );
      await slackSend('sending a direct message', () =>
        to.client.chat.postMessage({ channel, text, ...AS_WRITTEN }),
      );
    });
  }

  /** A person's DM channel with the bot; it never changes, so it is opened once. */
  async #dmChannel(to: WorkspaceClient, userId: string): Promise<string> {
    const key = `${to.teamId}:${userId}`;
    let channel = this.#dmChannels.get(key);
    if (!channel) {
      const opened = await to.client.conversations.open({ users: userId });
      channel = opened.channel?.id ?? userId;
      this.#dmChannels.set(key, channel);
    }
    return channel;
  }
}

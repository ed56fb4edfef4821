import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { KudosGiven } from '../core/reply.ts';
import { announcementText } from '../recognition/announcement.ts';
import { points } from '../recognition/wording.ts';
import { Pacer } from './pacer.ts';
import type { SendSlots } from './send-slots.ts';
import { announcementBlocks, escapeSlackText } from './slack-blocks.ts';

/** Most kudos shown in full in one celebration message; the rest are counted. */
const SHOWN_PER_MESSAGE = 10;

interface Announcement {
  readonly event: KudosGiven;
  readonly slackIds: ReadonlyMap<number, string>;
}

/**
 * Celebrates kudos in Slack: a message in the channel where each was given and a direct
 * message to each recipient. Runs after the command was answered; a failure is logged
 * and never undoes the kudos. Slack takes about one message per second per channel, so
 * each channel and each person (one message a second each) is
 * paced: the first goes out at once, and kudos that arrive in between are merged into the
 * next message.
 */
export class SlackNotifier {
  readonly #dmChannels = new Map<string, string>();
  readonly #channels: Pacer<Announcement>;
  readonly #directMessages: Pacer<string>;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly logger: Logger,
    /** Shared with the Home tabs: how many notification calls may run at once. */
    slots: SendSlots,
  ) {
    const now = () => performance.now();
    this.#channels = new Pacer(
      1000,
      (channel, items) => this.#announce(channel, items),
      now,
      slots,
    );
    this.#directMessages = new Pacer(
      1000,
      (userId, lines) => this.#directMessage(userId, lines),
      now,
      slots,
    );
  }

  /** Tells the giver how a modal submission went: in the channel, else by DM. */
  async toGiver(userId: string, channel: string | null, text: string): Promise<void> {
    if (channel) {
      const posted = await this.client.chat
        .postEphemeral({ channel, user: userId, text })
        .then(() => true)
        .catch(() => false);
      if (posted) return;
    }
    await this.client.chat.postMessage({ channel: await this.#dmChannel(userId), text });
  }

  /** Queues the celebration in the channel it was given in; resolves once it was sent. */
  async celebrate(event: KudosGiven, slackIds: ReadonlyMap<number, string>): Promise<void> {
    if (event.channel) await this.#channels.push(event.channel, { event, slackIds });
  }

  /** Queues a DM to each recipient with a Slack id here; resolves once they were sent. */
  async tellRecipients(event: KudosGiven, slackIds: ReadonlyMap<number, string>): Promise<void> {
    const reason = event.message ? ` for ${escapeSlackText(event.message)}` : '';
    const sends: Array<Promise<void>> = [];
    for (const recipient of event.recipients) {
      const userId = slackIds.get(recipient.memberId);
      if (userId) {
        const line = `${escapeSlackText(event.giver.name)} gave you ${points(event.amountEach)}${reason}`;
        sends.push(this.#directMessages.push(userId, line));
      }
    }
    await Promise.all(sends);
  }

  async #announce(channel: string, items: Announcement[]): Promise<void> {
    const shown = items.slice(0, SHOWN_PER_MESSAGE);
    const blocks = shown.flatMap((item, index) => [
      ...(index > 0 ? [{ type: 'divider' as const }] : []),
      ...announcementBlocks(item.event, item.slackIds),
    ]);
    const more = items.length - shown.length;
    if (more > 0) {
      blocks.push({
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `…and ${more} more kudos.` }],
      });
    }
    const text = [
      ...shown.map((item) => announcementText(item.event)),
      ...(more > 0 ? [`…and ${more} more kudos.`] : []),
    ].join('\n');
    await this.client.chat.postMessage({ channel, text, blocks }).catch((error) => {
      this.logger.warn({ err: error, channel, kudos: items.length }, 'a Slack celebration failed');
    });
  }

  async #directMessage(userId: string, lines: string[]): Promise<void> {
    try {
      await this.client.chat.postMessage({
        channel: await this.#dmChannel(userId),
        text: lines.join('\n'),
      });
    } catch (error) {
      this.logger.warn(
        { err: error, userId, kudos: lines.length },
        'a Slack direct message failed',
      );
    }
  }

  /** A person's DM channel with the bot; it never changes, so it is opened once. */
  async #dmChannel(userId: string): Promise<string> {
    let channel = this.#dmChannels.get(userId);
    if (!channel) {
      const opened = await this.client.conversations.open({ users: userId });
      channel = opened.channel?.id ?? userId;
      this.#dmChannels.set(userId, channel);
    }
    return channel;
  }
}

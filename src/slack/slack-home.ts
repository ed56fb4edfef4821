import type { webApi } from '@slack/bolt';
import type { Command } from '../core/command.ts';
import type { Reply } from '../core/reply.ts';
import type { Member } from '../directory/members.ts';
import { showBalance } from '../recognition/balance.ts';
import { showHistory } from '../recognition/history.ts';
import { showLeaderboard } from '../recognition/leaderboard.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { replyBlocks } from './slack-blocks.ts';

/** The organization's leaderboard changes with every kudos; the Home tab shows it at most this stale. */
const LEADERBOARD_TTL_MS = 10_000;

/**
 * Publishes App Home tabs: the member's balance (allowance left with its reset date,
 * earned points), their recent kudos and the leaderboard, from the same services as the
 * `balance`, `history` and `leaderboard` subcommands.
 *
 * A member's refreshes never pile up: while one is being published, further requests
 * for that member collapse into one more, made when it is done.
 */
export class SlackHome {
  readonly #running = new Map<string, { again: boolean; done: Promise<void> }>();
  readonly #leaderboards = new Map<number, { at: number; reply: Promise<Reply> }>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly services: RecognitionServices,
    private readonly commandName: string,
  ) {}

  /** Publishes the member's Home tab now, or once more after the one in progress. */
  refresh(member: Member, slackUserId: string): Promise<void> {
    const running = this.#running.get(slackUserId);
    if (running) {
      running.again = true;
      return running.done;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          await this.#publish(member, slackUserId);
        } while (entry.again);
      } finally {
        this.#running.delete(slackUserId);
      }
    })();
    this.#running.set(slackUserId, entry);
    return entry.done;
  }

  async #publish(member: Member, slackUserId: string): Promise<void> {
    const asked: Command = {
      actor: member,
      text: '',
      mentions: [],
      idempotencyKey: `home:${member.id}`,
      platform: 'slack',
      channel: null,
      commandName: this.commandName,
      mentionResolver: { resolve: async () => ({ members: [], unknown: [] }) },
      clock: { now: () => new Date() },
    };
    const sections: Reply[] = [
      await showBalance(this.services, asked),
      await showHistory(this.services, asked),
      await this.#leaderboard(asked),
    ];
    const blocks = sections.flatMap((reply, index) => [
      ...(index > 0 ? [{ type: 'divider' as const }] : []),
      ...replyBlocks(reply),
    ]);
    const hint = `Give kudos with \`${this.commandName} @someone 10 for …\``;
    await this.client.views.publish({
      user_id: slackUserId,
      view: {
        type: 'home',
        blocks: [...blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: hint }] }],
      },
    });
  }

  #leaderboard(asked: Command): Promise<Reply> {
    const organizationId = asked.actor.organizationId;
    const cached = this.#leaderboards.get(organizationId);
    if (cached && Date.now() - cached.at < LEADERBOARD_TTL_MS) return cached.reply;
    const reply = showLeaderboard(this.services, asked, '');
    this.#leaderboards.set(organizationId, { at: Date.now(), reply });
    reply.catch(() => this.#leaderboards.delete(organizationId));
    return reply;
  }
}

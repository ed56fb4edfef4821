import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Command } from '../core/command.ts';
import type { Reply } from '../core/reply.ts';
import type { WorkSlots } from '../core/work-slots.ts';
import type { Member } from '../directory/members.ts';
import { showBalance } from '../recognition/balance.ts';
import { showHistory } from '../recognition/history.ts';
import { showLeaderboard } from '../recognition/leaderboard.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { Pacer } from './pacer.ts';
import { replyBlocks } from './slack-blocks.ts';

/** The organization's leaderboard changes with every kudos; the Home tab shows it at most this stale. */
const LEADERBOARD_TTL_MS = 10_000;

/**
 * Publishes App Home tabs: the member's balance (allowance left with its reset date,
 * earned points), their recent kudos and the leaderboard, from the same services as the
 * `balance`, `history` and `leaderboard` subcommands.
 *
 * A member's refreshes never pile up: at most one per `paceMs`, later requests merged
 * into the next one. Slack announces every opening of the tab (`app_home_opened`), and
 * the tab is published fresh then; after a change, only the tabs of people who have
 * opened theirs since this process started are published again, since nobody else is
 * looking at one (and theirs will be fresh when they do).
 */
export class SlackHome {
  readonly #pacer: Pacer<Member>;
  readonly #opened = new Set<string>();
  readonly #leaderboards = new Map<number, { at: number; reply: Promise<Reply> }>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly services: RecognitionServices,
    private readonly commandName: string,
    logger: Logger,
    slots: WorkSlots,
  ) {
    this.#pacer = new Pacer(
      2000,
      (slackUserId, members) =>
        this.#publish(members[members.length - 1] as Member, slackUserId).catch((error) =>
          logger.warn({ err: error, slackUserId }, 'a Slack Home tab could not be published'),
        ),
      () => performance.now(),
      slots,
    );
  }

  /** The member opened their Home tab: publish it. */
  opened(member: Member, slackUserId: string): Promise<void> {
    this.#opened.add(slackUserId);
    return this.#pacer.push(slackUserId, member);
  }

  /** Whether this person's tab may be on their screen, and so worth refreshing. */
  isOpen(slackUserId: string): boolean {
    return this.#opened.has(slackUserId);
  }

  /** Something on the member's tab changed: publish it again if they have opened it. */
  changed(member: Member, slackUserId: string): Promise<void> {
    return this.isOpen(slackUserId) ? this.#pacer.push(slackUserId, member) : Promise.resolve();
  }

  async #publish(member: Member, slackUserId: string): Promise<void> {
    const asked: Command = {
      actor: member,
      text: '',
      mentions: [],
      idempotencyKey: `home:${member.id}`,
      platform: 'slack',
      // Nothing a Home tab runs depends on where it came from.
      tenantId: '',
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

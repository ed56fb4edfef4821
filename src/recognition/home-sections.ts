import type { Command } from '../core/command.ts';
import type { Reply } from '../core/reply.ts';
import type { Platform } from '../db/tables.ts';
import type { Member } from '../directory/members.ts';
import { showBalance } from './balance.ts';
import { showHistory } from './history.ts';
import { showLeaderboard } from './leaderboard.ts';
import type { RecognitionServices } from './recognition-services.ts';

/** The organization's leaderboard changes with every kudos; a home shows it at most this stale. */
const LEADERBOARD_TTL_MS = 10_000;

/**
 * What a member's home shows (Slack's App Home, the Teams personal tab): their balance
 * (allowance left with its reset date, earned points), their recent kudos and the
 * leaderboard, from the same services as the `balance`, `history` and `leaderboard`
 * subcommands. The leaderboard is shared by everyone of an organization for a few seconds.
 */
export class HomeSections {
  readonly #leaderboards = new Map<number, { at: number; reply: Promise<Reply> }>();

  constructor(private readonly services: RecognitionServices) {}

  async of(member: Member, platform: Platform, commandName: string): Promise<Reply[]> {
    const asked: Command = {
      actor: member,
      text: '',
      mentions: [],
      idempotencyKey: `home:${member.id}`,
      platform,
      // Nothing a home runs depends on where it came from.
      tenantId: '',
      channel: null,
      commandName,
      mentionResolver: { resolve: async () => ({ members: [], unknown: [] }) },
      clock: { now: () => new Date() },
    };
    return [
      await showBalance(this.services, asked),
      await showHistory(this.services, asked),
      await this.#leaderboard(asked),
    ];
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

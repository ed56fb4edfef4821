import type { webApi } from '@slack/bolt';
import type { Command } from '../core/command.ts';
import type { Reply } from '../core/reply.ts';
import type { Member } from '../directory/members.ts';
import { showBalance } from '../recognition/balance.ts';
import { showHistory } from '../recognition/history.ts';
import { showLeaderboard } from '../recognition/leaderboard.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { replyBlocks } from './slack-blocks.ts';

/**
 * The App Home tab: the member's balance (allowance left with its reset date, earned
 * points), their recent kudos and the leaderboard, from the same services as the
 * `balance`, `history` and `leaderboard` subcommands.
 */
export async function publishHome(
  client: webApi.WebClient,
  services: RecognitionServices,
  member: Member,
  slackUserId: string,
  commandName: string,
): Promise<void> {
  const asked: Command = {
    actor: member,
    text: '',
    mentions: [],
    idempotencyKey: `home:${member.id}`,
    platform: 'slack',
    channel: null,
    commandName,
    mentionResolver: { resolve: async () => ({ members: [], unknown: [] }) },
    clock: { now: () => new Date() },
  };
  const sections: Reply[] = [
    await showBalance(services, asked),
    await showHistory(services, asked),
    await showLeaderboard(services, asked, ''),
  ];
  const blocks = sections.flatMap((reply, index) => [
    ...(index > 0 ? [{ type: 'divider' as const }] : []),
    ...replyBlocks(reply),
  ]);
  await client.views.publish({
    user_id: slackUserId,
    view: {
      type: 'home',
      blocks: [
        ...blocks,
        {
          type: 'context',
          elements: [
            { type: 'mrkdwn', text: `Give kudos with \`${commandName} @someone 10 for …\`` },
          ],
        },
      ],
    },
  });
}

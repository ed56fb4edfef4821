import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { KudosGiven } from '../core/reply.ts';
import type { Database } from '../db/database.ts';
import { announcementText } from '../recognition/announcement.ts';
import { points } from '../recognition/wording.ts';
import { announcementBlocks, escapeSlackText } from './slack-blocks.ts';
import type { SlackWorkspace } from './slack-workspaces.ts';

/**
 * Celebrates a kudos in Slack: a message in the channel where it was given and a direct
 * message to each recipient. Runs after the command was answered; a failure is logged
 * and never undoes the kudos.
 */
export class SlackNotifier {
  constructor(
    private readonly db: Database,
    private readonly client: webApi.WebClient,
    private readonly logger: Logger,
  ) {}

  /** Tells the giver how a modal submission went: in the channel, else by DM. */
  async toGiver(userId: string, channel: string | null, text: string): Promise<void> {
    if (channel) {
      const posted = await this.client.chat
        .postEphemeral({ channel, user: userId, text })
        .then(() => true)
        .catch(() => false);
      if (posted) return;
    }
    const opened = await this.client.conversations.open({ users: userId });
    await this.client.chat.postMessage({ channel: opened.channel?.id ?? userId, text });
  }

  async kudosGiven(workspace: SlackWorkspace, event: KudosGiven): Promise<void> {
    const slackIds = await slackIdsOf(this.db, workspace, [
      event.giver.memberId,
      ...event.recipients.map((recipient) => recipient.memberId),
    ]);
    const attempts: Array<Promise<unknown>> = [];
    if (event.channel) {
      attempts.push(
        this.client.chat.postMessage({
          channel: event.channel,
          text: announcementText(event),
          blocks: announcementBlocks(event, slackIds),
        }),
      );
    }
    const reason = event.message ? ` for ${escapeSlackText(event.message)}` : '';
    for (const recipient of event.recipients) {
      const userId = slackIds.get(recipient.memberId);
      if (!userId) continue;
      attempts.push(
        this.client.conversations.open({ users: userId }).then((opened) =>
          this.client.chat.postMessage({
            channel: opened.channel?.id ?? userId,
            text: `${event.giver.name} gave you ${points(event.amountEach)}${reason}`,
          }),
        ),
      );
    }
    for (const outcome of await Promise.allSettled(attempts)) {
      if (outcome.status === 'rejected') {
        this.logger.warn(
          { err: outcome.reason, recognitionId: event.recognitionId },
          'a Slack notification failed',
        );
      }
    }
  }
}

/** The Slack user ids of members in a workspace, where they have one. */
export async function slackIdsOf(
  db: Database,
  workspace: SlackWorkspace,
  memberIds: readonly number[],
): Promise<Map<number, string>> {
  if (memberIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('platform_identities')
    .select(['member_id', 'user_id'])
    .where('platform', '=', 'slack')
    .where('tenant_id', '=', workspace.teamId)
    .where('member_id', 'in', [...new Set(memberIds)])
    .execute();
  return new Map(rows.map((row) => [row.member_id, row.user_id]));
}

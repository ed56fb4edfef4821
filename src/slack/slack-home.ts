import type { Logger } from 'pino';
import type { WorkSlots } from '../core/work-slots.ts';
import type { Member } from '../directory/members.ts';
import { HomeSections } from '../recognition/home-sections.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import type { OpenHomeTabs } from './open-home-tabs.ts';
import { Pacer } from './pacer.ts';
import { replyBlocks } from './slack-blocks.ts';
import type { SlackInstallations } from './slack-installations.ts';
import type { SlackWorkspace } from './slack-workspaces.ts';

/** A member's Home tab in one workspace. */
interface HomeTab {
  readonly member: Member;
  readonly workspace: SlackWorkspace;
  readonly slackUserId: string;
}

/**
 * Publishes App Home tabs: the member's balance (allowance left with its reset date,
 * earned points), their recent kudos and the leaderboard ({@link HomeSections}, as the
 * Teams personal tab shows them).
 *
 * A member's refreshes never pile up: at most one per `paceMs`, later requests merged
 * into the next one. Slack announces every opening of the tab (`app_home_opened`), and
 * the tab is published fresh then; after a change, only the tabs of people who have
 * opened theirs lately (seen by any process, through {@link OpenHomeTabs}) are published
 * again, since nobody else is looking at one (and theirs will be fresh when they do).
 */
export class SlackHome {
  readonly #pacer: Pacer<HomeTab>;
  readonly #sections: HomeSections;

  constructor(
    private readonly installations: SlackInstallations,
    services: RecognitionServices,
    private readonly commandName: string,
    logger: Logger,
    slots: WorkSlots,
    /** The tabs opened, seen by any process of the deployment. */
    private readonly tabs: OpenHomeTabs,
  ) {
    this.#sections = new HomeSections(services);
    this.#pacer = new Pacer(
      2000,
      (_key, tabs) => {
        const tab = tabs[tabs.length - 1] as HomeTab;
        return this.#publish(tab).catch((error) =>
          logger.warn(
            { err: error, slackUserId: tab.slackUserId },
            'a Slack Home tab could not be published',
          ),
        );
      },
      () => performance.now(),
      slots,
    );
  }

  /** The member opened their Home tab in a workspace: publish it. */
  async opened(member: Member, workspace: SlackWorkspace, slackUserId: string): Promise<void> {
    const key = `${workspace.teamId}:${slackUserId}`;
    await this.tabs.opened(key);
    return this.#pacer.push(key, { member, workspace, slackUserId });
  }

  /** Whether this person's tab may be on their screen, and so worth refreshing. */
  isOpen(workspace: SlackWorkspace, slackUserId: string): Promise<boolean> {
    return this.tabs.isOpen(`${workspace.teamId}:${slackUserId}`);
  }

  /** Something on the member's tab changed: publish it again if they have opened it. */
  async changed(member: Member, workspace: SlackWorkspace, slackUserId: string): Promise<void> {
    if (!(await this.isOpen(workspace, slackUserId))) return;
    return this.#pacer.push(`${workspace.teamId}:${slackUserId}`, {
      member,
      workspace,
      slackUserId,
    });
  }

  async #publish({ member, workspace, slackUserId }: HomeTab): Promise<void> {
    // Uninstalled since it was opened: nothing to publish to.
    const client = await this.installations.clientOf(workspace);
    if (!client) return;
    const sections = await this.#sections.of(member, 'slack', this.commandName);
    const blocks = sections.flatMap((reply, index) => [
      ...(index > 0 ? [{ type: 'divider' as const }] : []),
      ...replyBlocks(reply),
    ]);
    const hint = `Give kudos with \`${this.commandName} @someone 10 for …\``;
    await client.views.publish({
      user_id: slackUserId,
      view: {
        type: 'home',
        blocks: [...blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: hint }] }],
      },
    });
  }
}

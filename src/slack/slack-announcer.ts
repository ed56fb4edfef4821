import type { Celebration } from '../core/announcements.ts';
import {
  type Pace,
  type RecipientNotifier,
  type Telling,
  UndeliverableMessage,
} from '../core/notifier.ts';
import type { KudosGiven } from '../core/reply.ts';
import type { Database } from '../db/database.ts';
import { findMember } from '../directory/members.ts';
import { boostsOf } from '../recognition/boosts.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { escapeSlackText } from './slack-blocks.ts';
import type { SlackHome } from './slack-home.ts';
import type { SlackInstallations } from './slack-installations.ts';
import type { SlackNotifier, WorkspaceClient } from './slack-notifier.ts';
import { type SlackWorkspace, slackIdentitiesIn, slackIdsOf } from './slack-workspaces.ts';

export interface SlackAnnouncerDependencies {
  readonly db: Database;
  /** The workspaces' installations: the client each message is sent with. */
  readonly installations: SlackInstallations;
  /** The program settings (whether boosts are allowed, shown on a celebration). */
  readonly services: Pick<RecognitionServices, 'settings'>;
  readonly notifier: SlackNotifier;
  readonly home: SlackHome;
}

/**
 * What Slack sends after a kudos, for the notifications jobs of whichever process takes
 * them (a worker, or the single process of local mode): the celebration of a kudos given
 * in Slack, and Slack's side of the notifier port (a direct message to a member, for kudos
 * given on any platform and a redemption's news). It needs the workspaces' Web API clients
 * only, never Bolt's app or its HTTP endpoint.
 */
export class SlackAnnouncer {
  constructor(private readonly deps: SlackAnnouncerDependencies) {}

  /** Slack's side of the notifier port, for kudos given on any platform. */
  readonly recipientNotifier: RecipientNotifier = {
    platform: 'slack',
    tellRecipient: (event, memberId, pace) => this.#tellRecipient(event, memberId, pace),
    tellPerson: (organizationId, memberId, text, pace) =>
      this.#tellPerson(organizationId, memberId, text, pace),
  };

  /**
   * Slack's celebration of a kudos given here: the channel post, and the giver's Home tab,
   * in the workspace the giver gave it from (where they have an identity; of several, the
   * one they were first seen in).
   */
  readonly celebration: Celebration = async (event, pace) => {
    const giverId = event.giver.memberId;
    const memberIds = [giverId, ...event.recipients.map((recipient) => recipient.memberId)];
    const reach = await this.#reachOf(event.organizationId, giverId);
    if (reach === 'not-here') return;
    const slackIds = await slackIdsOf(this.deps.db, reach.workspace, memberIds);
    const { settings } = await this.deps.services.settings.load(event.organizationId);
    await this.deps.notifier.celebrate(reach, event, slackIds, pace, {
      boosts: await boostsOf(this.deps.db, event.recognitionId),
      boostable: settings.boostsAllowed,
    });
    const giver = slackIds.get(giverId);
    await this.#refreshHomes(reach.workspace, new Map(giver ? [[giverId, giver]] : []));
  };

  /** Slack's side of the notifier port: a DM to a recipient here, and their open Home tab. */
  async #tellRecipient(event: KudosGiven, memberId: number, pace: Pace): Promise<Telling> {
    const reach = await this.#reachOf(event.organizationId, memberId);
    if (reach === 'not-here') return 'not-here';
    await this.deps.notifier.tellRecipient(reach, event, reach.userId, pace);
    const homes = new Map([[memberId, reach.userId]]);
    if (event.private) {
      // A private kudos has no celebration, which refreshes the giver's open tab: this does.
      const giver = await slackIdsOf(this.deps.db, reach.workspace, [event.giver.memberId]);
      for (const [id, userId] of giver) homes.set(id, userId);
    }
    await this.#refreshHomes(reach.workspace, homes);
    return 'told';
  }

  /** A direct message to a member in a workspace of theirs, and their open Home tab. */
  async #tellPerson(
    organizationId: number,
    memberId: number,
    text: string,
    pace: Pace,
  ): Promise<Telling> {
    const reach = await this.#reachOf(organizationId, memberId);
    if (reach === 'not-here') return 'not-here';
    await this.deps.notifier.directMessage(reach, reach.userId, escapeSlackText(text), pace);
    await this.#refreshHomes(reach.workspace, new Map([[memberId, reach.userId]]));
    return 'told';
  }

  /**
   * Where a member of an organization is reached in Slack: the first workspace of the
   * organization where they have an identity and Plaudit is installed now. Not here when
   * they have no identity in its workspaces; undeliverable (logged by the job, not retried)
   * when every workspace they are in has uninstalled Plaudit.
   */
  async #reachOf(
    organizationId: number,
    memberId: number,
  ): Promise<(WorkspaceClient & { workspace: SlackWorkspace; userId: string }) | 'not-here'> {
    const { db, installations } = this.deps;
    let uninstalled = false;
    for (const { workspace, userId } of await slackIdentitiesIn(db, organizationId, memberId)) {
      const client = await installations.clientOf(workspace, true);
      if (!client) {
        uninstalled = true;
        continue;
      }
      return { workspace, teamId: workspace.teamId, client, userId };
    }
    if (uninstalled) throw new UndeliverableMessage('slack', 'Plaudit is not installed there now');
    return 'not-here';
  }

  async #refreshHomes(
    connected: SlackWorkspace,
    slackIds: ReadonlyMap<number, string>,
  ): Promise<void> {
    const { db, home } = this.deps;
    const refreshes = [];
    for (const [memberId, userId] of slackIds) {
      if (!(await home.isOpen(connected, userId))) continue;
      const member = await findMember(db, connected.organizationId, memberId);
      if (member) refreshes.push(home.changed(member, connected, userId));
    }
    await Promise.all(refreshes);
  }
}

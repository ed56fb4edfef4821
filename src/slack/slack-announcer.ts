import { sql } from 'kysely';
import type { Celebration } from '../core/announcements.ts';
import {
  type Pace,
  type RecipientNotifier,
  type Telling,
  UndeliverableMessage,
} from '../core/notifier.ts';
import type { KudosGiven } from '../core/reply.ts';
import { compiledQuery } from '../db/compiled-query.ts';
import type { Database } from '../db/database.ts';
import { findMember } from '../directory/members.ts';
import { type ShownBoost, shownBoost, standingBoosts } from '../recognition/boosts.ts';
import type { RecognitionServices } from '../recognition/recognition-services.ts';
import { escapeSlackText } from './slack-blocks.ts';
import type { SlackHome } from './slack-home.ts';
import type { SlackInstallations } from './slack-installations.ts';
import type { SlackNotifier, WorkspaceClient } from './slack-notifier.ts';
import {
  identitiesOfMembersQuery,
  type SlackIdentity,
  type SlackWorkspace,
  slackIdentitiesOf,
  slackIdentityOf,
} from './slack-workspaces.ts';

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
    const recipientIds = event.recipients.map((recipient) => recipient.memberId);
    // Where the giver is reached, everyone's Slack ids there, and the kudos's boosts (a
    // retried celebration, or one posted after a boost from another platform, shows them),
    // in one statement.
    const { identities, boosts } = await celebrationReach(
      this.deps.db,
      event.organizationId,
      [giverId, ...recipientIds],
      event.recognitionId,
    );
    const reach = await this.#reachAmong(giverId, identities);
    if (reach === 'not-here') return;
    const slackIds = reach.slackIds;
    const { settings } = await this.deps.services.settings.load(event.organizationId);
    await this.deps.notifier.celebrate(reach, event, slackIds, pace, {
      boosts,
      boostable: settings.boostsAllowed,
    });
    const giver = slackIds.get(giverId);
    await this.#refreshHomes(reach.workspace, new Map(giver ? [[giverId, giver]] : []));
  };

  /** Slack's side of the notifier port: a DM to a recipient here, and their open Home tab. */
  async #tellRecipient(event: KudosGiven, memberId: number, pace: Pace): Promise<Telling> {
    // A private kudos has no celebration, which refreshes the giver's open tab: this does,
    // with the giver's Slack id read in the statement that finds the recipient.
    const giverId = event.giver.memberId;
    const reach = await this.#reachOf(
      event.organizationId,
      memberId,
      event.private ? [giverId] : [],
    );
    if (reach === 'not-here') return 'not-here';
    await this.deps.notifier.tellRecipient(reach, event, reach.userId, pace);
    const homes = new Map([[memberId, reach.userId]]);
    const giver = event.private ? reach.slackIds.get(giverId) : undefined;
    if (giver !== undefined) homes.set(giverId, giver);
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
   * organization where they have an identity and Plaudit is installed now, with the Slack
   * ids there of them and of `others` (members of the same organization), read in the
   * same statement. Not here when they have no identity in its workspaces; undeliverable
   * (logged by the job, not retried) when every workspace they are in has uninstalled
   * Plaudit.
   */
  async #reachOf(
    organizationId: number,
    memberId: number,
    others: readonly number[] = [],
  ): Promise<Reach | 'not-here'> {
    const identities = await slackIdentitiesOf(this.deps.db, organizationId, [memberId, ...others]);
    return this.#reachAmong(memberId, identities);
  }

  /** {@link #reachOf}, among identities already read. */
  async #reachAmong(
    memberId: number,
    identities: readonly SlackIdentity[],
  ): Promise<Reach | 'not-here'> {
    const { installations } = this.deps;
    let uninstalled = false;
    for (const { workspace, userId } of identities.filter((one) => one.memberId === memberId)) {
      const client = await installations.clientOf(workspace, true);
      if (!client) {
        uninstalled = true;
        continue;
      }
      const slackIds = new Map(
        identities
          .filter((one) => one.workspace.teamId === workspace.teamId)
          .map((one) => [one.memberId, one.userId]),
      );
      return { workspace, teamId: workspace.teamId, client, userId, slackIds };
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

/** Where a member is reached in Slack, with the Slack ids there of the others asked for. */
type Reach = WorkspaceClient & {
  workspace: SlackWorkspace;
  userId: string;
  slackIds: ReadonlyMap<number, string>;
};

/**
 * {@link identitiesOfMembersQuery}, with the kudos's standing boosts on each row (one
 * subquery, run once): what a celebration reads, in one statement (it was two). Compiled
 * once.
 */
const celebrationReachQuery = compiledQuery(
  (db, organizationId: number, memberIds: number[], recognitionId: number) =>
    identitiesOfMembersQuery(db, organizationId, memberIds).select(
      sql<Array<{ display_name: string; amount_each: number }>>`(select coalesce(
        json_agg(json_build_object('display_name', s.display_name, 'amount_each', s.amount_each)
          order by s.id), '[]'::json)
        from (${standingBoosts(db, recognitionId)}) as s)`.as('boosts'),
    ),
);

/** Everyone's Slack identities, and the boosts a celebration shows, in one statement. */
async function celebrationReach(
  db: Database,
  organizationId: number,
  memberIds: readonly number[],
  recognitionId: number,
): Promise<{ identities: SlackIdentity[]; boosts: ShownBoost[] }> {
  const rows = await celebrationReachQuery(
    db,
    organizationId,
    [...new Set(memberIds)],
    recognitionId,
  );
  // Nobody here: the boosts are not needed (no celebration in Slack).
  return { identities: rows.map(slackIdentityOf), boosts: (rows[0]?.boosts ?? []).map(shownBoost) };
}

import type { Activity, ConversationReference, TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { requireRole } from '../admin/access.ts';
import { memberActor, systemActor } from '../admin/admin-actor.ts';
import { writeAudit } from '../admin/audit-log.ts';
import type { ChannelAnnouncement } from '../core/announcements.ts';
import type { Pace } from '../core/notifier.ts';
import { type KudosGiven, type Reply, refusalReply, textReply } from '../core/reply.ts';
import { compiledQuery } from '../db/compiled-query.ts';
import type { Database } from '../db/database.ts';
import type { Member } from '../directory/members.ts';
import { announcementText } from '../recognition/announcement.ts';
import type { RecognitionSettingsCache } from '../recognition/settings-cache.ts';
import { celebrationCard } from './teams-cards.ts';
import { conversationKind } from './teams-conversations.ts';
import { type ProactiveAdapter, type TeamsNotifier, throwingFromTurn } from './teams-notifier.ts';
import { conversationClosed, teamsSend } from './teams-send-failures.ts';
import type { TeamsTenant } from './teams-tenants.ts';
import { CONVERSATION_UPDATE, INSTALLATION_UPDATE, MESSAGE, plainMessage } from './teams-text.ts';

/** `announce here`, `announce off`, `announce` (where now), also after `admin settings`. */
const ANNOUNCE = /^\s*(?:(?:admin\s+)?settings\s+)?announce(?:\s+(here|off|none))?\s*$/i;

/** The events after which the bot can no longer post in a team's channels. */
const TEAM_GONE = new Set(['teamDeleted', 'teamHardDeleted']);

/** A channel's conversation id without a thread's `;messageid=…`: the channel itself. */
export function channelOf(conversationId: string): string {
  return conversationId.replace(/;messageid=.*$/, '');
}

interface AnnouncementChannel {
  readonly organizationId: number;
  readonly tenantId: string;
  readonly conversationId: string;
  readonly teamId: string | null;
  readonly reference: Partial<ConversationReference>;
  readonly chosenBy: number;
}

export interface TeamsAnnouncementDependencies {
  readonly db: Database;
  /** The organization's settings: whether its posts offer Boost. */
  readonly settings: RecognitionSettingsCache;
  readonly adapter: ProactiveAdapter;
  readonly appId: string;
  readonly notifier: TeamsNotifier;
  readonly logger: Logger;
}

/**
 * Teams' announcement channel. Teams names a channel by an opaque id no admin can type, so
 * an admin chooses it where it applies: `@Plaudit announce here` in the channel (or group
 * chat) keeps its conversation reference; `announce off` anywhere stops it. Each kudos
 * given in Teams is then also celebrated there, proactively through the Bot Connector,
 * one post per turn on the channel (the notifications jobs' pacing, as Slack's channel
 * posts), and each post is remembered so a reaction to it finds its kudos. When the bot
 * can no longer post there (it left the team, the channel was deleted, or the Connector
 * refuses for good), the choice is dropped and the admin who made it is told.
 */
export class TeamsAnnouncements {
  constructor(private readonly deps: TeamsAnnouncementDependencies) {}

  /** Whether a message is the `announce` command. */
  static isCommand(text: string): boolean {
    return ANNOUNCE.test(text);
  }

  /**
   * Runs `announce [here|off]` for an admin; anyone else is refused (and the attempt
   * audited). Its answer is public only where it chose the channel.
   */
  async command(
    context: TurnContext,
    actor: Member,
    tenant: TeamsTenant,
    text: string,
  ): Promise<Reply> {
    const [, word = ''] = ANNOUNCE.exec(text) ?? [];
    const wanted = word.toLowerCase();
    const { db } = this.deps;
    const current = await this.#channel(tenant.organizationId);
    if (wanted === '') {
      return textReply(
        current
          ? 'Celebrations of kudos given in Teams are also posted in the channel chosen with "announce here". Say "announce off" to stop, or "announce here" in another channel to move them.'
          : 'Celebrations of kudos given in Teams are posted only where the kudos was given. An admin can say "announce here" in a channel to post them all there too.',
      );
    }
    const denied = await requireRole(
      db,
      memberActor(actor, 'teams'),
      'admin',
      'choose where Teams celebrations are posted',
      { action: 'settings.change', wanted: { teamsAnnouncementChannel: wanted } },
    );
    if (denied) return refusalReply(denied.code, denied.message);
    if (wanted !== 'here') {
      if (!current) return textReply('Nothing changed: celebrations were not posted in a channel.');
      await this.#drop(current, memberActor(actor, 'teams'));
      return textReply(
        'Celebrations of kudos given in Teams are no longer posted in the announcement channel; each is still celebrated where it was given.',
      );
    }
    const activity = context.activity;
    if (conversationKind(activity.conversation.conversationType) === 'personal') {
      return refusalReply(
        'not_a_channel',
        'Say "announce here" in the channel where celebrations should be posted (mention me there); this is our personal chat. Nothing was changed.',
      );
    }
    const conversationId = channelOf(activity.conversation.id);
    if (current?.conversationId === conversationId) {
      return textReply('Nothing changed: celebrations are already posted here.');
    }
    // Loaded already: a command comes through the web process's adapter.
    const { TurnContext } = await import('botbuilder');
    const { activityId: _reply, ...reference } = TurnContext.getConversationReference(activity);
    reference.conversation = { ...activity.conversation, id: conversationId };
    const teamId = (activity.channelData as { team?: { id?: string } } | undefined)?.team?.id;
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('teams_announcement_channels')
        .values({
          organization_id: tenant.organizationId,
          tenant_id: tenant.tenantId,
          conversation_id: conversationId,
          team_id: teamId ?? null,
          reference: JSON.stringify(reference),
          chosen_by_member_id: actor.id,
        })
        .onConflict((conflict) =>
          conflict.column('organization_id').doUpdateSet({
            tenant_id: tenant.tenantId,
            conversation_id: conversationId,
            team_id: teamId ?? null,
            reference: JSON.stringify(reference),
            chosen_by_member_id: actor.id,
          }),
        )
        .execute();
      await writeAudit(trx, memberActor(actor, 'teams'), {
        action: 'settings.change',
        outcome: 'done',
        before: { teamsAnnouncementChannel: current?.conversationId ?? null },
        after: { teamsAnnouncementChannel: conversationId },
      });
    });
    return {
      ...textReply(
        `From now on, every kudos given in Teams is also celebrated here. ${actor.displayName} can say "announce off" to stop.`,
      ),
      visibility: 'public',
    };
  }

  /** Posts a kudos' celebration in the announcement channel; the notifications job calls it. */
  readonly announce: ChannelAnnouncement = async (event: KudosGiven, pace: Pace) => {
    const channel = await this.#channel(event.organizationId);
    // Given in the announcement channel itself: its answer was the celebration.
    if (!channel || (event.channel && channelOf(event.channel) === channel.conversationId)) return;
    await pace(`teams:channel:${channel.conversationId}`, this.deps.notifier.turnMs);
    const message: Partial<Activity> = {
      type: MESSAGE,
      summary: announcementText(event),
      attachments: [
        celebrationCard(event, {
          boosts: [],
          boostable: (await this.deps.settings.load(event.organizationId)).settings.boostsAllowed,
        }),
      ],
    };
    let postedId: string | undefined;
    await teamsSend('posting a celebration', async () => {
      try {
        await throwingFromTurn(
          (logic) =>
            this.deps.adapter.continueConversationAsync(this.deps.appId, channel.reference, logic),
          async (context) => {
            postedId = (await context.sendActivity(message))?.id;
          },
        );
      } catch (error) {
        // Closed to the bot for good: nothing is posted there again. A refused message
        // (400) fails alone, and the channel stays.
        if (conversationClosed(error)) {
          await this.#lost(channel, 'the Bot Connector refused the post');
        }
        throw error;
      }
    });
    if (postedId) {
      await this.recordPost(event.organizationId, channel.conversationId, postedId, event);
    }
  };

  /** Remembers a celebration the bot posted, so a reaction to it finds its kudos. */
  async recordPost(
    organizationId: number,
    conversationId: string,
    activityId: string,
    event: KudosGiven,
  ): Promise<void> {
    await this.deps.db
      .insertInto('teams_celebration_posts')
      .values({
        organization_id: organizationId,
        conversation_id: channelOf(conversationId),
        activity_id: activityId,
        recognition_id: event.recognitionId,
      })
      .onConflict((conflict) =>
        conflict.columns(['organization_id', 'conversation_id', 'activity_id']).doNothing(),
      )
      .execute();
  }

  /**
   * Drops the announcement channel when Teams says the bot can no longer post there: it
   * was removed from the team or the group chat, the app was uninstalled there, or the
   * channel or team was deleted.
   */
  async onConversationEvent(context: TurnContext, tenant: TeamsTenant): Promise<void> {
    const activity = context.activity;
    if (activity.type !== CONVERSATION_UPDATE && activity.type !== INSTALLATION_UPDATE) {
      return;
    }
    const channel = await this.#channel(tenant.organizationId);
    if (!channel) return;
    const data = activity.channelData as
      | { eventType?: string; team?: { id?: string }; channel?: { id?: string } }
      | undefined;
    const inTeam = channel.teamId !== null && data?.team?.id === channel.teamId;
    const here = channelOf(activity.conversation?.id ?? '') === channel.conversationId;
    const botRemoved =
      activity.membersRemoved?.some((member) => member.id === activity.recipient?.id) ?? false;
    const uninstalled =
      activity.type === INSTALLATION_UPDATE && /^remove/i.test(activity.action ?? '');
    let reason: string | undefined;
    if ((botRemoved || uninstalled) && (inTeam || here)) reason = 'Plaudit was removed from it';
    else if (inTeam && TEAM_GONE.has(data?.eventType ?? '')) reason = 'its team was deleted';
    else if (data?.eventType === 'channelDeleted' && data.channel?.id === channel.conversationId) {
      reason = 'the channel was deleted';
    }
    if (reason) await this.#lost(channel, reason);
  }

  async #channel(organizationId: number): Promise<AnnouncementChannel | undefined> {
    const [row] = await announcementChannelOf(this.deps.db, organizationId);
    return (
      row && {
        organizationId: row.organization_id,
        tenantId: row.tenant_id,
        conversationId: row.conversation_id,
        teamId: row.team_id,
        reference: row.reference as Partial<ConversationReference>,
        chosenBy: row.chosen_by_member_id,
      }
    );
  }

  /** Forgets the channel, if it is still the one chosen; true when this call forgot it. */
  async #drop(
    channel: AnnouncementChannel,
    actor: Parameters<typeof writeAudit>[1],
  ): Promise<boolean> {
    return this.deps.db.transaction().execute(async (trx) => {
      const dropped = await trx
        .deleteFrom('teams_announcement_channels')
        .where('organization_id', '=', channel.organizationId)
        .where('conversation_id', '=', channel.conversationId)
        .returning('organization_id')
        .executeTakeFirst();
      if (!dropped) return false;
      await writeAudit(trx, actor, {
        action: 'settings.change',
        outcome: 'done',
        before: { teamsAnnouncementChannel: channel.conversationId },
        after: { teamsAnnouncementChannel: null },
      });
      return true;
    });
  }

  /** The bot can no longer post in the channel: it is forgotten, and its chooser told once. */
  async #lost(channel: AnnouncementChannel, reason: string): Promise<void> {
    const actor = systemActor(channel.organizationId, 'Microsoft Teams');
    if (!(await this.#drop(channel, actor))) return;
    this.deps.logger.warn(
      { organizationId: channel.organizationId, reason },
      'the Teams announcement channel was dropped',
    );
    const told = await this.deps.notifier.tellMember(
      {
        memberId: channel.chosenBy,
        organizationId: channel.organizationId,
        tenantId: channel.tenantId,
      },
      plainMessage(
        `Plaudit can no longer post in the Teams channel you chose for celebrations (${reason}), so they are no longer posted there; each kudos is still celebrated where it is given. To choose a channel again, mention me there: "announce here".`,
      ),
    );
    if (!told) {
      this.deps.logger.warn(
        { memberId: channel.chosenBy },
        'the admin who chose the Teams announcement channel could not be told it was dropped',
      );
    }
  }
}

/** Read by every kudos given in Teams: compiled once. */
const announcementChannelOf = compiledQuery((db, organizationId: number) =>
  db
    .selectFrom('teams_announcement_channels')
    .selectAll()
    .where('organization_id', '=', organizationId),
);

import type { Application, TurnState } from '@microsoft/teams-ai';
import {
  ActivityTypes,
  type CloudAdapter,
  type ConversationReference,
  type TeamsChannelAccount,
  TeamsInfo,
  TurnContext,
} from 'botbuilder';
import type { Logger } from 'pino';
import { type AdminActor, systemActor } from '../admin/admin-actor.ts';
import {
  applyMirroredGroup,
  type GroupMirror,
  type MirrorReport,
  mayMirrorUnasked,
} from '../admin/group-admin.ts';
import { FollowUps } from '../core/follow-ups.ts';
import { InSequence } from '../core/in-sequence.ts';
import type { Database } from '../db/database.ts';
import { findMirroredGroup } from '../directory/groups.ts';
import type { TeamsConversations } from './teams-conversations.ts';
import type { TeamsDirectory } from './teams-directory.ts';
import type { TeamsTenant, TeamsTenants } from './teams-tenants.ts';

/** The Bot Connector's largest page of a team's members. */
const PAGE_SIZE = 500;

/** Team events after which there is no team to read: its group is emptied. */
const TEAM_GONE = new Set(['teamDeleted', 'teamHardDeleted']);

/** What a Teams activity's `channelData` says of the team it happened in. */
interface TeamChannelData {
  readonly eventType?: string;
  readonly team?: { readonly id?: string; readonly name?: string; readonly aadGroupId?: string };
  readonly tenant?: { readonly id?: string };
}

export interface TeamsGroupMirrorDependencies {
  readonly db: Database;
  readonly adapter: CloudAdapter;
  readonly appId: string;
  readonly directory: TeamsDirectory;
  readonly tenants: TeamsTenants;
  readonly conversations: TeamsConversations;
  readonly logger: Logger;
}

/** A team the bot is in, and a conversation of it the bot can call the Bot Connector from. */
interface KnownTeam {
  readonly tenant: TeamsTenant;
  readonly teamId: string;
  readonly name?: string;
  readonly reference: Partial<ConversationReference>;
}

/**
 * Teams teams as Plaudit groups (`source = 'teams'`, the team's id as external id, its
 * name as name), which who-may-give and who-may-receive rules can name. The team id is
 * the one every activity of the team carries (`channelData.team.id`, also the id of its
 * General channel); the Azure AD group id is missing from most activities. A team is
 * mirrored when the bot is added to it, when people join or leave it or it is renamed
 * (each a `conversationUpdate`), and on `groups sync`: its members are read from the Bot
 * Connector, a page at a time, in a proactive turn in the team's conversation. A deleted
 * team, or one the bot was removed from, keeps its group, emptied: rules naming it let
 * nobody through it. Mirrors nobody asked for wait until the organization has an admin
 * (see {@link mayMirrorUnasked}).
 */
export class TeamsGroupMirror implements GroupMirror {
  readonly platform = 'teams' as const;
  readonly #sequence = new InSequence();
  readonly #background: FollowUps;

  constructor(private readonly deps: TeamsGroupMirrorDependencies) {
    this.#background = new FollowUps(deps.logger);
  }

  /** Follows team events; registered after the handlers, so only admitted tenants' turns come. */
  register(app: Application<TurnState>): void {
    app.turn('beforeTurn', async (context) => {
      await this.#onActivity(context);
      return true;
    });
  }

  /** Resolves when the mirrors running in the background have finished. */
  settled(): Promise<void> {
    return this.#background.settled();
  }

  async sync(actor: AdminActor): Promise<MirrorReport> {
    const teams = await this.#knownTeams(actor.organizationId);
    let changed = 0;
    const failed: string[] = [];
    for (const team of teams) {
      try {
        if (await this.#mirrorInTurn(actor, team)) changed += 1;
      } catch (error) {
        this.deps.logger.warn({ err: error, team: team.teamId }, 'a Teams team failed');
        failed.push(team.name ?? team.teamId);
      }
    }
    return { groups: teams.length, changed, failed };
  }

  async #onActivity(context: TurnContext): Promise<void> {
    const activity = context.activity;
    if (activity.type !== ActivityTypes.ConversationUpdate) return;
    const data = activity.channelData as TeamChannelData | undefined;
    const teamId = data?.team?.id;
    if (!teamId || data?.eventType?.startsWith('channel')) return;
    const tenant = await this.deps.tenants.tenant(
      data?.tenant?.id ?? activity.conversation?.tenantId,
    );
    if (!tenant) return;
    const reference = TurnContext.getConversationReference(activity);
    const botId = activity.recipient?.id;
    const botRemoved = activity.membersRemoved?.some((member) => member.id === botId) ?? false;
    const gone = botRemoved || TEAM_GONE.has(data?.eventType ?? '');
    if (!gone) {
      // Where to call the Bot Connector from on `groups sync`.
      await this.deps.conversations.remember({
        organizationId: tenant.organizationId,
        tenantId: tenant.tenantId,
        kind: 'channel',
        memberId: null,
        reference,
      });
    }
    const team: KnownTeam = { tenant, teamId, name: data?.team?.name, reference };
    const actor = systemActor(tenant.organizationId, 'Microsoft Teams');
    this.#background.start('mirroring a Teams team', async () => {
      if (gone) await this.#empty(actor, team);
      else if (await mayMirrorUnasked(this.deps.db, tenant.organizationId)) {
        await this.#mirrorInTurn(actor, team);
      } else {
        this.deps.logger.info('Teams teams are mirrored once the organization has an admin');
      }
    });
  }

  #mirrorInTurn(actor: AdminActor, team: KnownTeam): Promise<boolean> {
    return this.#sequence.run(`${team.tenant.organizationId}:${team.teamId}`, () =>
      inProactiveTurn(this.deps, team.reference, (context) => this.#mirror(actor, team, context)),
    );
  }

  /** Reads the team's members and makes its group say the same; true when it changed. */
  async #mirror(actor: AdminActor, team: KnownTeam, context: TurnContext): Promise<boolean> {
    const { db, directory, logger } = this.deps;
    const key = {
      organizationId: team.tenant.organizationId,
      source: 'teams' as const,
      externalId: team.teamId,
    };
    const name =
      team.name ??
      (await findMirroredGroup(db, key))?.name ??
      (await TeamsInfo.getTeamDetails(context, team.teamId)).name ??
      team.teamId;
    const memberIds: number[] = [];
    for (const account of await teamMembers(context, team.teamId)) {
      // People of other tenants (shared channels) are not this organization's members.
      const elsewhere =
        account.tenantId !== undefined && account.tenantId.toLowerCase() !== team.tenant.tenantId;
      if (elsewhere || !account.aadObjectId) {
        logger.info({ team: team.teamId, userId: account.id }, 'a team member is not mirrored');
        continue;
      }
      memberIds.push((await directory.mirroredMember(team.tenant, account)).id);
    }
    const { changed } = await applyMirroredGroup(db, actor, { ...key, name, memberIds });
    return changed;
  }

  /** Empties the group of a team that is gone, or that the bot can no longer read. */
  async #empty(actor: AdminActor, team: KnownTeam): Promise<void> {
    const key = {
      organizationId: team.tenant.organizationId,
      source: 'teams' as const,
      externalId: team.teamId,
    };
    await this.#sequence.run(`${key.organizationId}:${key.externalId}`, async () => {
      const stored = await findMirroredGroup(this.deps.db, key);
      if (!stored) return;
      await applyMirroredGroup(this.deps.db, actor, { ...key, name: stored.name, memberIds: [] });
    });
  }

  /**
   * The teams of an organization the bot has seen: the channel conversations it knows are
   * asked for their team (a team's General channel has the team's id), once per team.
   */
  async #knownTeams(organizationId: number): Promise<KnownTeam[]> {
    const { db, logger } = this.deps;
    const rows = await db
      .selectFrom('teams_conversations')
      .select(['tenant_id', 'conversation_id', 'reference'])
      .where('organization_id', '=', organizationId)
      .where('kind', '=', 'channel')
      .orderBy('updated_at', 'desc')
      .execute();
    const teams = new Map<string, KnownTeam>();
    const asked = new Set<string>();
    for (const row of rows) {
      // A reply thread's id is its channel's with `;messageid=…`.
      const channelId = row.conversation_id.split(';')[0] as string;
      if (asked.has(channelId) || teams.has(channelId)) continue;
      asked.add(channelId);
      const reference = row.reference as Partial<ConversationReference>;
      const details = await inProactiveTurn(this.deps, reference, (context) =>
        TeamsInfo.getTeamDetails(context, channelId),
      ).catch((error: unknown) => {
        // Any channel but a General one: not a team's id.
        logger.debug({ err: error, channelId }, 'a Teams channel is no team the bot can read');
        return undefined;
      });
      if (!details?.id || teams.has(details.id)) continue;
      teams.set(details.id, {
        tenant: { tenantId: row.tenant_id, organizationId },
        teamId: details.id,
        name: details.name,
        reference,
      });
    }
    return [...teams.values()];
  }
}

/** Every member of a team, page after page. */
async function teamMembers(context: TurnContext, teamId: string): Promise<TeamsChannelAccount[]> {
  const members: TeamsChannelAccount[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await TeamsInfo.getPagedTeamMembers(context, teamId, PAGE_SIZE, continuationToken);
    members.push(...page.members);
    continuationToken = page.continuationToken || undefined;
  } while (continuationToken);
  return members;
}

/**
 * Runs logic in a proactive turn in a conversation and answers what it returned or threw.
 * (The adapter hands a turn's error to its error handler and resolves, which would pass a
 * failed read for an empty one.)
 */
async function inProactiveTurn<T>(
  deps: { readonly adapter: CloudAdapter; readonly appId: string },
  reference: Partial<ConversationReference>,
  logic: (context: TurnContext) => Promise<T>,
): Promise<T> {
  let outcome: { value: T } | { error: unknown } | undefined;
  await deps.adapter.continueConversationAsync(deps.appId, reference, async (context) => {
    try {
      outcome = { value: await logic(context) };
    } catch (error) {
      outcome = { error };
    }
  });
  if (!outcome) throw new Error('the proactive Teams turn did not run');
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

import { CompiledQuery, sql } from 'kysely';
import { compiledQuery } from '../db/compiled-query.ts';
import type { Database } from '../db/database.ts';
import { PREPARE_MARKER } from '../db/preparing-pool.ts';
import { type Member, type MemberRow, toMember } from '../directory/members.ts';
import { createConnectedOrganization } from '../directory/organizations.ts';

export interface SlackWorkspace {
  readonly teamId: string;
  readonly enterpriseId: string | null;
  readonly organizationId: number;
  readonly botUserId: string;
}

/** What `auth.test` says about the bot token's workspace. */
export interface BotIdentity {
  readonly teamId: string;
  readonly teamName: string;
  readonly enterpriseId: string | null;
  readonly botUserId: string;
}

/**
 * Connects the bot token's workspace, once: a new workspace joins the given organization,
 * or (as the adapter connects them) gets its own (time zone UTC and currency USD until an
 * admin changes them), which an admin may link to another later (`admin link`).
 */
export async function connectWorkspace(
  db: Database,
  bot: BotIdentity,
  /** The organization a new workspace joins (a company already on Teams, say). */
  organizationId?: number,
): Promise<SlackWorkspace> {
  const known = await findWorkspace(db, bot.teamId);
  if (known) return known;
  return db
    .transaction()
    .execute(async (trx) => (await connectWorkspaceIn(trx, bot, organizationId)).workspace);
}

/**
 * Connects a workspace inside the caller's transaction: a known one keeps its organization
 * (and takes the bot user it names now), a new one joins `organizationId` or gets its own.
 * Installs of one workspace at once are taken one after another (a transaction lock), so
 * a workspace never gets two organizations. `created` tells whether an organization was made.
 */
export async function connectWorkspaceIn(
  trx: Database,
  bot: BotIdentity,
  organizationId?: number,
): Promise<{ workspace: SlackWorkspace; created: boolean }> {
  await sql`select pg_advisory_xact_lock(hashtext(${`slack workspace ${bot.teamId}`}))`.execute(
    trx,
  );
  const known = await trx
    .updateTable('slack_workspaces')
    .set({ bot_user_id: bot.botUserId })
    .where('team_id', '=', bot.teamId)
    .returning(['organization_id', 'enterprise_id'])
    .executeTakeFirst();
  if (known) {
    return {
      workspace: {
        teamId: bot.teamId,
        enterpriseId: known.enterprise_id,
        organizationId: known.organization_id,
        botUserId: bot.botUserId,
      },
      created: false,
    };
  }
  const joined =
    organizationId ?? (await createConnectedOrganization(trx, bot.teamName || bot.teamId));
  await trx
    .insertInto('slack_workspaces')
    .values({
      team_id: bot.teamId,
      enterprise_id: bot.enterpriseId,
      organization_id: joined,
      bot_user_id: bot.botUserId,
    })
    .execute();
  return {
    workspace: {
      teamId: bot.teamId,
      enterpriseId: bot.enterpriseId,
      organizationId: joined,
      botUserId: bot.botUserId,
    },
    created: organizationId === undefined,
  };
}

const WORKSPACE_COLUMNS = ['team_id', 'enterprise_id', 'organization_id', 'bot_user_id'] as const;

/** Read on every Slack request (its authorization): compiled once. */
const workspaceByTeam = compiledQuery((db, teamId: string) =>
  db.selectFrom('slack_workspaces').select(WORKSPACE_COLUMNS).where('team_id', '=', teamId),
);

export async function findWorkspace(
  db: Database,
  teamId: string,
): Promise<SlackWorkspace | undefined> {
  const [row] = await workspaceByTeam(db, teamId);
  return row && workspaceOf(row);
}

/**
 * A command's workspace and people in one round trip: the workspace as it is now (its
 * organization, which `admin link` may have changed), with a row for each user asked
 * about, carrying their member when they are one there (a user seen for the first time
 * has none). Each user's identity is looked up by its whole key in its own subquery
 * (`offset 0` keeps Postgres from merging it into the join), so the plan is one index
 * probe per user whatever the table's statistics say: written as a list (`user_id =
 * any(…)`), a generic plan may scan every identity of the workspace. Its text never
 * changes, so it is neither built nor compiled per command.
 */
const WORKSPACE_WITH_MEMBERS = `${PREPARE_MARKER}
  select w.team_id, w.enterprise_id, w.organization_id, w.bot_user_id, u.user_id,
    pm.id as member_id, pm.organization_id as member_organization_id,
    pm.display_name as member_display_name, pm.email as member_email,
    pm.roles as member_roles, pm.status as member_status, pm.is_guest as member_is_guest,
    pm.is_bot as member_is_bot, pm.timezone as member_timezone,
    pm.created_at as member_created_at
  from slack_workspaces w
  cross join unnest($2::text[]) as u (user_id)
  left join lateral (
    select m.id, m.organization_id, m.display_name, m.email, m.roles, m.status, m.is_guest,
      m.is_bot, m.timezone, m.created_at
    from platform_identities p
    join members m on m.id = p.member_id
    where p.platform = 'slack' and p.tenant_id = w.team_id and p.user_id = u.user_id
    offset 0
  ) pm on true
  where w.team_id = $1`;

interface WorkspaceWithMembersRow {
  team_id: string;
  enterprise_id: string | null;
  organization_id: number;
  bot_user_id: string;
  user_id: string;
  member_id: number | null;
  member_organization_id: number | null;
  member_display_name: string | null;
  member_email: string | null;
  member_roles: MemberRow['roles'] | null;
  member_status: MemberRow['status'] | null;
  member_is_guest: boolean | null;
  member_is_bot: boolean | null;
  member_timezone: string | null;
  member_created_at: Date | null;
}

/** What {@link readWorkspaceWithMembers} read: the workspace, and its known members by user id. */
export interface WorkspaceWithMembers {
  readonly workspace: SlackWorkspace;
  /** Each user asked about: their member, or null when they are no member there yet. */
  readonly members: ReadonlyMap<string, Member | null>;
}

/**
 * A workspace as it is now and the members its users are, in one statement; undefined
 * when the workspace is not connected.
 */
export async function readWorkspaceWithMembers(
  db: Database,
  teamId: string,
  userIds: readonly string[],
): Promise<WorkspaceWithMembers | undefined> {
  const { rows } = await db.executeQuery<WorkspaceWithMembersRow>(
    CompiledQuery.raw(WORKSPACE_WITH_MEMBERS, [teamId, [...new Set(userIds)]]),
  );
  const [first] = rows;
  if (!first) return undefined;
  const members = new Map<string, Member | null>(userIds.map((userId) => [userId, null]));
  for (const row of rows) {
    if (row.member_id === null) continue;
    const member: MemberRow = {
      id: row.member_id,
      organization_id: row.member_organization_id as number,
      display_name: row.member_display_name as string,
      email: row.member_email,
      roles: row.member_roles as MemberRow['roles'],
      status: row.member_status as MemberRow['status'],
      is_guest: row.member_is_guest as boolean,
      is_bot: row.member_is_bot as boolean,
      timezone: row.member_timezone,
      created_at: row.member_created_at as Date,
    };
    members.set(row.user_id, toMember(member));
  }
  return { workspace: workspaceOf(first), members };
}

/** Read by every notification's send: compiled once. */
const slackIdsByMember = compiledQuery((db, teamId: string, memberIds: number[]) =>
  db
    .selectFrom('platform_identities')
    .select(['member_id', 'user_id'])
    .where('platform', '=', 'slack')
    .where('tenant_id', '=', teamId)
    .where('member_id', '=', sql<number>`any(${memberIds})`),
);

/** Read by every notification's send: compiled once. */
const workspacesByOrganization = compiledQuery((db, organizationId: number) =>
  db
    .selectFrom('slack_workspaces')
    .select(WORKSPACE_COLUMNS)
    .where('organization_id', '=', organizationId)
    .orderBy('created_at'),
);

/** The Slack user ids of members in a workspace, where they have one. */
export async function slackIdsOf(
  db: Database,
  workspace: SlackWorkspace,
  memberIds: readonly number[],
): Promise<Map<number, string>> {
  if (memberIds.length === 0) return new Map();
  const rows = await slackIdsByMember(db, workspace.teamId, [...new Set(memberIds)]);
  return new Map(rows.map((row) => [row.member_id, row.user_id]));
}

/** The workspaces connected to an organization. */
export async function workspacesOf(
  db: Database,
  organizationId: number,
): Promise<SlackWorkspace[]> {
  const rows = await workspacesByOrganization(db, organizationId);
  return rows.map(workspaceOf);
}

/**
 * Where a member of an organization has a Slack identity in one of its workspaces: each
 * such workspace with the member's user id there, the identity first seen first. One
 * statement for every send to a person (a join of what were two look-ups, then a third
 * of the workspace for its token), so compiled once.
 */
const identitiesInWorkspaces = compiledQuery((db, organizationId: number, memberId: number) =>
  db
    .selectFrom('platform_identities as p')
    .innerJoin('slack_workspaces as w', (join) =>
      join
        .onRef('w.team_id', '=', 'p.tenant_id')
        .onRef('w.organization_id', '=', 'p.organization_id'),
    )
    .select(['w.team_id', 'w.enterprise_id', 'w.organization_id', 'w.bot_user_id', 'p.user_id'])
    .where('p.platform', '=', 'slack')
    .where('p.organization_id', '=', organizationId)
    .where('p.member_id', '=', memberId)
    .orderBy('p.created_at'),
);

/** The workspaces of an organization where a member has a Slack identity, first seen first. */
export async function slackIdentitiesIn(
  db: Database,
  organizationId: number,
  memberId: number,
): Promise<Array<{ workspace: SlackWorkspace; userId: string }>> {
  const rows = await identitiesInWorkspaces(db, organizationId, memberId);
  return rows.map((row) => ({ workspace: workspaceOf(row), userId: row.user_id }));
}

/** Every connected workspace. */
export async function allWorkspaces(db: Database): Promise<SlackWorkspace[]> {
  const rows = await db
    .selectFrom('slack_workspaces')
    .select(['team_id', 'enterprise_id', 'organization_id', 'bot_user_id'])
    .orderBy('created_at')
    .execute();
  return rows.map(workspaceOf);
}

/** A `slack_workspaces` row as the workspace it records. */
function workspaceOf(row: {
  team_id: string;
  enterprise_id: string | null;
  organization_id: number;
  bot_user_id: string;
}): SlackWorkspace {
  return {
    teamId: row.team_id,
    enterpriseId: row.enterprise_id,
    organizationId: row.organization_id,
    botUserId: row.bot_user_id,
  };
}

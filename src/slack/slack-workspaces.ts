import { type Kysely, sql } from 'kysely';
import { anyOf, compiledQuery } from '../db/compiled-query.ts';
import { countedListStatement } from '../db/counted-list.ts';
import type { Database } from '../db/database.ts';
import type { Tables } from '../db/tables.ts';
import { type Member, prefixedMember, prefixedMemberColumns } from '../directory/members.ts';
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
 * any(…)`), a generic plan may scan every identity of the workspace. The users are
 * parameters of their own ({@link countedListStatement}), so that Postgres keeps one plan;
 * its text is built once per count of users, never per command.
 */
const workspaceWithMembers = countedListStatement(
  (users) => `
  select w.team_id, w.enterprise_id, w.organization_id, w.bot_user_id, u.user_id,
    ${prefixedMemberColumns('pm', 'member_')}
  from slack_workspaces w
  cross join unnest(${users}) as u (user_id)
  left join lateral (
    select m.*
    from platform_identities p
    join members m on m.id = p.member_id
    where p.platform = 'slack' and p.tenant_id = w.team_id and p.user_id = u.user_id
    offset 0
  ) pm on true
  where w.team_id = $1`,
);

/** A row of {@link workspaceWithMembers}: the workspace, a user, and their member's columns. */
interface WorkspaceWithMembersRow extends Record<string, unknown> {
  team_id: string;
  enterprise_id: string | null;
  organization_id: number;
  bot_user_id: string;
  user_id: string;
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
    workspaceWithMembers([teamId], [...new Set(userIds)]),
  );
  const [first] = rows;
  if (!first) return undefined;
  const members = new Map<string, Member | null>(userIds.map((userId) => [userId, null]));
  for (const row of rows) {
    const member = prefixedMember(row, 'member_');
    if (member) members.set(row.user_id, member);
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
    .where('member_id', '=', anyOf(memberIds, 'bigint')),
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

/** A member's Slack identity in one of their organization's workspaces. */
export interface SlackIdentity {
  readonly workspace: SlackWorkspace;
  readonly userId: string;
  readonly memberId: number;
}

/**
 * Every Slack identity of these members of an organization in its workspaces, with the
 * workspace, first seen first: where a member is reached (the workspace with its token),
 * and the others' Slack ids there, in one statement. A builder, for the statements that
 * read more beside it (a celebration's boosts).
 */
export function identitiesOfMembersQuery(
  db: Kysely<Tables>,
  organizationId: number,
  memberIds: number[],
) {
  return db
    .selectFrom('platform_identities as p')
    .innerJoin('slack_workspaces as w', (join) =>
      join
        .onRef('w.team_id', '=', 'p.tenant_id')
        .onRef('w.organization_id', '=', 'p.organization_id'),
    )
    .select([
      'w.team_id',
      'w.enterprise_id',
      'w.organization_id',
      'w.bot_user_id',
      'p.user_id',
      'p.member_id',
    ])
    .where('p.platform', '=', 'slack')
    .where('p.organization_id', '=', organizationId)
    .where('p.member_id', '=', anyOf(memberIds, 'bigint'))
    .orderBy('p.created_at');
}

/** Read by every send to a person: compiled once. */
const identitiesOfMembers = compiledQuery(identitiesOfMembersQuery);

/** A row of {@link identitiesOfMembersQuery} as the identity it records. */
export function slackIdentityOf(row: {
  team_id: string;
  enterprise_id: string | null;
  organization_id: number;
  bot_user_id: string;
  user_id: string;
  member_id: number;
}): SlackIdentity {
  return { workspace: workspaceOf(row), userId: row.user_id, memberId: row.member_id };
}

/** The Slack identities of these members of an organization, first seen first. */
export async function slackIdentitiesOf(
  db: Database,
  organizationId: number,
  memberIds: readonly number[],
): Promise<SlackIdentity[]> {
  const rows = await identitiesOfMembers(db, organizationId, [...new Set(memberIds)]);
  return rows.map(slackIdentityOf);
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

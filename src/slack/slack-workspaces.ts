import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
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

export async function findWorkspace(
  db: Database,
  teamId: string,
): Promise<SlackWorkspace | undefined> {
  const row = await db
    .selectFrom('slack_workspaces')
    .select(['team_id', 'enterprise_id', 'organization_id', 'bot_user_id'])
    .where('team_id', '=', teamId)
    .executeTakeFirst();
  return row && workspaceOf(row);
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

/** The workspaces connected to an organization. */
export async function workspacesOf(
  db: Database,
  organizationId: number,
): Promise<SlackWorkspace[]> {
  const rows = await db
    .selectFrom('slack_workspaces')
    .select(['team_id', 'enterprise_id', 'organization_id', 'bot_user_id'])
    .where('organization_id', '=', organizationId)
    .orderBy('created_at')
    .execute();
  return rows.map(workspaceOf);
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

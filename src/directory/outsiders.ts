import type { Database } from '../db/database.ts';
import type { Platform } from '../db/tables.ts';

/** Where a chat platform says a user's account lives, which decides whose member they may be. */
export interface UserHome {
  /** Their home Slack workspace or Microsoft 365 tenant, as the platform reports it. */
  readonly tenantId: string | null;
  /** Slack Enterprise Grid: the enterprise their account belongs to. */
  readonly enterpriseId?: string | null;
  /** Slack: a person of another organization, seen through Slack Connect. */
  readonly stranger?: boolean;
}

/**
 * A platform user from outside the organization a command came to: a Slack Connect
 * visitor, a user of a workspace or tenant that is not connected to it. They are never made
 * a member, never joined to one by email. Thrown where a member was asked for; the chat
 * adapters answer it with {@link OutsiderUser.actorSentence} or name them as outsiders.
 */
export class OutsiderUser extends Error {
  constructor(
    readonly platform: Platform,
    readonly userId: string,
    /** How the platform names them, for the refusal. */
    readonly displayName: string,
    readonly organizationName: string,
  ) {
    super(`${platform} user ${userId} is from outside ${organizationName}`);
  }

  /** The answer to a command this user sent. */
  get actorSentence(): string {
    return `Plaudit only takes kudos from people of ${this.organizationName}; your account is from outside it (another workspace or organization), so I did nothing.`;
  }
}

/**
 * Whether a user's home is an installation of the organization: a Slack workspace
 * connected to it, or any workspace of an Enterprise Grid connected to it, or a Teams
 * tenant connected to it. A Slack Connect stranger, or a user whose platform names no
 * home, is not. The local console's people are the organization's own.
 */
export async function isHomeConnected(
  db: Database,
  platform: Platform,
  organizationId: number,
  home: UserHome,
): Promise<boolean> {
  if (platform === 'local') return true;
  const { tenantId, enterpriseId } = home;
  if (home.stranger || !tenantId) return false;
  if (platform === 'teams') {
    const row = await db
      .selectFrom('teams_tenants')
      .select('tenant_id')
      .where('tenant_id', '=', tenantId.toLowerCase())
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    return row !== undefined;
  }
  const row = await db
    .selectFrom('slack_workspaces')
    .select('team_id')
    .where('organization_id', '=', organizationId)
    .where((where) =>
      enterpriseId
        ? where.or([where('team_id', '=', tenantId), where('enterprise_id', '=', enterpriseId)])
        : where('team_id', '=', tenantId),
    )
    .executeTakeFirst();
  return row !== undefined;
}

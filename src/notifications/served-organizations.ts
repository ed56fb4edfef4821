import type { Database } from '../db/database.ts';

/** What a process's chat platforms serve, as it starts. */
export interface ServedAtStart {
  /**
   * Organizations the process knows it serves already: its bot token's workspace's, the
   * Teams tenants the configuration names, local mode's.
   */
  readonly organizations: readonly number[];
  /** Slack installs through OAuth: every enabled installation's organization is served. */
  readonly slackInstallations: boolean;
  /** TEAMS_ALLOWED_TENANTS=*: every tenant connected so far is served. */
  readonly anyTeamsTenant: boolean;
}

/**
 * The organizations whose notifications a process relays from the moment it starts: the
 * ones its configuration names, those of the Slack workspaces and enterprises installed
 * through OAuth, and (for a bot open to any tenant) those of every tenant connected so
 * far. Kudos of any of them may be waiting in the outbox (given while Redis was away, by a
 * process that has stopped since); organizations that appear later are found as their
 * first kudos are given.
 */
export async function organizationsServedAtStart(
  db: Database,
  served: ServedAtStart,
): Promise<number[]> {
  const organizations = new Set(served.organizations);
  if (served.slackInstallations) {
    const installed = await db
      .selectFrom('slack_installations as i')
      .leftJoin('slack_workspaces as w', 'w.team_id', 'i.team_id')
      .select(['i.organization_id as enterprise', 'w.organization_id as workspace'])
      .where('i.disabled_at', 'is', null)
      .execute();
    for (const row of installed) {
      const organization = row.enterprise ?? row.workspace;
      if (organization !== null) organizations.add(organization);
    }
    // The workspaces an enterprise installed org-wide connected, wherever linked since.
    const gridWorkspaces = await db
      .selectFrom('slack_workspaces as w')
      .innerJoin('slack_installations as i', 'i.enterprise_id', 'w.enterprise_id')
      .select('w.organization_id')
      .where('i.is_enterprise_install', '=', true)
      .where('i.disabled_at', 'is', null)
      .execute();
    for (const row of gridWorkspaces) organizations.add(row.organization_id);
  }
  if (served.anyTeamsTenant) {
    const tenants = await db.selectFrom('teams_tenants').select('organization_id').execute();
    for (const tenant of tenants) organizations.add(tenant.organization_id);
  }
  return [...organizations];
}

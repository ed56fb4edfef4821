import type { Database } from '../db/database.ts';

/** What a process's chat platforms serve, as it starts. */
export interface ServedAtStart {
  /** Organizations the process knows it serves already (its Slack workspace's, local mode's). */
  readonly organizations: readonly number[];
  /** The Teams tenants it lets in (TEAMS_ALLOWED_TENANTS); each may have an organization of its own. */
  readonly teamsTenants: readonly string[];
}

/**
 * The organizations whose notifications a process relays from the moment it starts: the
 * ones given, and those of the Teams tenants it serves. Each tenant may be an organization
 * of its own, and kudos of any of them may be waiting in the outbox (given while Redis was
 * away, by a process that has stopped since).
 */
export async function organizationsServedAtStart(
  db: Database,
  served: ServedAtStart,
): Promise<number[]> {
  const organizations = new Set(served.organizations);
  if (served.teamsTenants.length > 0) {
    const tenants = await db
      .selectFrom('teams_tenants')
      .select('organization_id')
      .where(
        'tenant_id',
        'in',
        served.teamsTenants.map((tenant) => tenant.toLowerCase()),
      )
      .execute();
    for (const tenant of tenants) organizations.add(tenant.organization_id);
  }
  return [...organizations];
}

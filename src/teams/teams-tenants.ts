import type { Database } from '../db/database.ts';

/** A Microsoft 365 tenant whose people use Plaudit in Teams, and the organization it is in. */
export interface TeamsTenant {
  readonly tenantId: string;
  readonly organizationId: number;
}

export async function findTenant(db: Database, tenantId: string): Promise<TeamsTenant | undefined> {
  const row = await db
    .selectFrom('teams_tenants')
    .select(['tenant_id', 'organization_id'])
    .where('tenant_id', '=', tenantId.toLowerCase())
    .executeTakeFirst();
  return row && { tenantId: row.tenant_id, organizationId: row.organization_id };
}

/** Connects a tenant to an organization, once; a tenant already connected keeps its own. */
export async function connectTenant(
  db: Database,
  tenantId: string,
  organizationId: number,
): Promise<TeamsTenant> {
  await db
    .insertInto('teams_tenants')
    .values({ tenant_id: tenantId.toLowerCase(), organization_id: organizationId })
    .onConflict((conflict) => conflict.column('tenant_id').doNothing())
    .execute();
  const connected = await findTenant(db, tenantId);
  if (!connected) throw new Error(`tenant ${tenantId} could not be connected`);
  return connected;
}

/**
 * The tenants the bot serves. An allow-list names them; an empty one (local mode only)
 * lets any tenant in. A tenant allowed but not connected yet joins `organizationId`, the
 * organization of this deployment, so that a company on Slack and Teams has one ledger.
 */
export class TeamsTenants {
  readonly #connected = new Map<string, TeamsTenant>();
  readonly #allowed: ReadonlySet<string>;

  constructor(
    private readonly db: Database,
    allowed: readonly string[],
    private readonly organizationId: number,
  ) {
    this.#allowed = new Set(allowed.map((tenant) => tenant.toLowerCase()));
  }

  isAllowed(tenantId: string | undefined): boolean {
    if (this.#allowed.size === 0) return true;
    return tenantId !== undefined && this.#allowed.has(tenantId.toLowerCase());
  }

  /** The connected tenant, or undefined when it is not allowed. */
  async tenant(tenantId: string | undefined): Promise<TeamsTenant | undefined> {
    if (!this.isAllowed(tenantId)) return undefined;
    // The Bot Framework Emulator sends no tenant; in local mode it is one of its own.
    const id = (tenantId ?? 'local').toLowerCase();
    let known = this.#connected.get(id);
    if (!known) {
      known =
        (await findTenant(this.db, id)) ?? (await connectTenant(this.db, id, this.organizationId));
      this.#connected.set(id, known);
    }
    return known;
  }
}

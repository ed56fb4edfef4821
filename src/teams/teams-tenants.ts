import { compiledQuery } from '../db/compiled-query.ts';
import { countedListStatement } from '../db/counted-list.ts';
import type { Database } from '../db/database.ts';
import { type Member, prefixedMember, prefixedMemberColumns } from '../directory/members.ts';
import { createConnectedOrganization } from '../directory/organizations.ts';

/** A Microsoft 365 tenant whose people use Plaudit in Teams, and the organization it is in. */
export interface TeamsTenant {
  readonly tenantId: string;
  readonly organizationId: number;
}

/** The tenant of the Bot Framework Emulator's activities, which name none (local mode). */
export const LOCAL_TENANT = 'local';

/** Read on every Teams request (the organization it is for): compiled once. */
const tenantById = compiledQuery((db, tenantId: string) =>
  db
    .selectFrom('teams_tenants')
    .select(['tenant_id', 'organization_id'])
    .where('tenant_id', '=', tenantId),
);

/**
 * The tenant, the member a Teams user of it is (by Azure AD object id) when they are one,
 * and the members the people a message mentions are (by Teams user id, as mentions name
 * them), a row each: every activity reads its tenant and sender, and a give its recipients
 * too, in this one statement. Each mention's Teams user and then its identity are looked
 * up by their whole keys, each in a subquery of its own (`offset 0` keeps Postgres from
 * merging it into the join), so the plan probes an index per mention whatever the
 * statistics say: joined as a list (`user_id = any(…)`), the generic plan walked every
 * identity of the tenant (3.9 ms at 1,000 people, against 0.28 ms). A mention who is no
 * member yet has no row (the turn finds or makes them as before). The mentions are
 * parameters of their own ({@link countedListStatement}), so that Postgres keeps one plan;
 * its text is built once per count of mentions, never per activity.
 */
const tenantWithMembers = countedListStatement(
  (mentions) => `
  select t.tenant_id, t.organization_id as tenant_organization_id,
    ${prefixedMemberColumns('m', 'sender_')}, mention.*
  from teams_tenants t
  left join platform_identities p
    on p.platform = 'teams' and p.tenant_id = t.tenant_id and p.user_id = $2
  left join members m on m.id = p.member_id
  left join lateral (
    select w.user_id as mentioned_user_id, ${prefixedMemberColumns('x', 'mentioned_')}
    from unnest(${mentions}) as w (user_id)
    join lateral (
      select u.aad_object_id from teams_users u
      where u.tenant_id = t.tenant_id and u.user_id = w.user_id
      offset 0
    ) u on true
    join lateral (
      select x.* from platform_identities mp
      join members x on x.id = mp.member_id
      where mp.platform = 'teams' and mp.tenant_id = t.tenant_id and mp.user_id = u.aad_object_id
      offset 0
    ) x on true
  ) mention on true
  where t.tenant_id = $1`,
);

export async function findTenant(db: Database, tenantId: string): Promise<TeamsTenant | undefined> {
  const [row] = await tenantById(db, tenantId.toLowerCase());
  return row && { tenantId: row.tenant_id, organizationId: row.organization_id };
}

/** Thrown inside the transaction that lost a race to connect the same tenant: it rolls back. */
class ConnectedElsewhere extends Error {}

/**
 * Connects a tenant, once: a tenant already connected keeps its organization; a new one
 * joins `organizationId` when given (the local demo's), or gets an organization of its own
 * (UTC and USD until an admin changes them). Of two processes connecting the same new
 * tenant at once, one connects it and the other takes that one's organization.
 */
export async function connectTenant(
  db: Database,
  tenantId: string,
  organizationId?: number,
): Promise<TeamsTenant> {
  const id = tenantId.toLowerCase();
  const known = await findTenant(db, id);
  if (known) return known;
  try {
    await db.transaction().execute(async (trx) => {
      const joined =
        organizationId ??
        (await createConnectedOrganization(trx, `Microsoft Teams (tenant ${id.slice(0, 8)})`));
      const inserted = await trx
        .insertInto('teams_tenants')
        .values({ tenant_id: id, organization_id: joined })
        .onConflict((conflict) => conflict.column('tenant_id').doNothing())
        .returning('tenant_id')
        .executeTakeFirst();
      // Another process connected it a moment ago: the organization made here goes too.
      if (!inserted) throw new ConnectedElsewhere();
    });
  } catch (error) {
    if (!(error instanceof ConnectedElsewhere)) throw error;
  }
  const connected = await findTenant(db, id);
  if (!connected) throw new Error(`tenant ${tenantId} could not be connected`);
  return connected;
}

/** Which tenants the bot serves. */
export interface AllowedTenants {
  /** The tenant ids named (TEAMS_ALLOWED_TENANTS, TEAMS_TENANT_ID). */
  readonly tenants: readonly string[];
  /** Any tenant at all (TEAMS_ALLOWED_TENANTS=* with its opt-in). */
  readonly any: boolean;
}

/**
 * The tenants the bot serves, each in the organization it is connected to: its own,
 * made when it is first allowed and seen, unless an admin linked it to another. An
 * allow-list names them; `*` (hosting) or an empty list (local mode only) lets any tenant
 * in. The tenant's organization is read at each activity, so a link takes effect at once.
 */
export class TeamsTenants {
  readonly #allowed: ReadonlySet<string>;
  readonly #any: boolean;

  constructor(
    private readonly db: Database,
    allowed: AllowedTenants,
    /** Local mode: the demo organization, which the Emulator's tenant (any tenant) joins. */
    private readonly localOrganizationId?: number,
  ) {
    this.#allowed = new Set(allowed.tenants.map((tenant) => tenant.toLowerCase()));
    this.#any = allowed.any || this.#allowed.size === 0;
  }

  isAllowed(tenantId: string | undefined): boolean {
    if (this.#any) return tenantId !== undefined || this.localOrganizationId !== undefined;
    return tenantId !== undefined && this.#allowed.has(tenantId.toLowerCase());
  }

  /** The connected tenant, or undefined when it is not allowed. */
  async tenant(tenantId: string | undefined): Promise<TeamsTenant | undefined> {
    if (!this.isAllowed(tenantId)) return undefined;
    // The Bot Framework Emulator sends no tenant; in local mode it is one of its own.
    const id = (tenantId ?? LOCAL_TENANT).toLowerCase();
    return (await findTenant(this.db, id)) ?? connectTenant(this.db, id, this.localOrganizationId);
  }

  /**
   * As {@link tenant}, with the member the Teams user `aadObjectId` of it is when they are
   * one already (read in the same statement), so that the turn need not read them again.
   */
  async withMember(
    tenantId: string | undefined,
    aadObjectId: string | undefined,
    /** The Teams user ids a message mentions: the members they are are read too. */
    mentionedUserIds: readonly string[] = [],
  ): Promise<
    | {
        readonly tenant: TeamsTenant;
        readonly member?: Member;
        /** The members the mentioned Teams user ids are, of those who are members already. */
        readonly mentioned?: ReadonlyMap<string, Member>;
      }
    | undefined
  > {
    if (!this.isAllowed(tenantId)) return undefined;
    if (aadObjectId) {
      const id = (tenantId ?? LOCAL_TENANT).toLowerCase();
      const { rows } = await this.db.executeQuery<Record<string, unknown>>(
        tenantWithMembers([id, aadObjectId.toLowerCase()], [...new Set(mentionedUserIds)]),
      );
      const [row] = rows;
      if (row) {
        const tenant = {
          tenantId: row.tenant_id as string,
          organizationId: row.tenant_organization_id as number,
        };
        const mentioned = new Map<string, Member>();
        for (const one of rows) {
          const member = prefixedMember(one, 'mentioned_');
          if (member) mentioned.set(one.mentioned_user_id as string, member);
        }
        const member = prefixedMember(row, 'sender_');
        return member ? { tenant, member, mentioned } : { tenant, mentioned };
      }
    }
    const tenant = await this.tenant(tenantId);
    return tenant && { tenant };
  }
}

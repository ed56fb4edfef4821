import { TeamsInfo, type TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import type { MentionResolver } from '../core/command.ts';
import { compiledQuery } from '../db/compiled-query.ts';
import type { Database } from '../db/database.ts';
import {
  memberOnFirstSight,
  type OnFirstSight,
  type SightedUser,
} from '../directory/first-sight.ts';
import {
  findIdentifiedMember,
  MEMBER_COLUMNS,
  type Member,
  type MemberRow,
  toMember,
} from '../directory/members.ts';
import { OutsiderUser } from '../directory/outsiders.ts';
import type { RecipientRef } from '../recognition/grammar/give-grammar.ts';
import type { TeamsTenant } from './teams-tenants.ts';

/** A Teams account as an activity names it: `from`, a mention, or a card's people picker. */
export interface TeamsAccount {
  /** The Teams user id (`29:…`), or an Azure AD object id from a people picker. */
  readonly id: string;
  readonly aadObjectId?: string;
  readonly name?: string;
}

/** What `TeamsInfo.getMember` answers with (the fields Plaudit reads). */
export interface TeamsMemberDetails {
  id?: string;
  aadObjectId?: string;
  name?: string;
  email?: string;
  userRole?: string;
  tenantId?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Teams users as members. A user is known by their Azure AD object id in their tenant; on
 * first sight their name, email and guest role come from the Bot Connector
 * (`TeamsInfo.getMember`), and a member of the organization with the same email (from
 * Slack, say) is joined, so that one person has one balance. A person of a tenant not
 * connected to the organization (a shared channel, a federated chat) is an
 * {@link OutsiderUser}: never a member. Mentions carry Teams user ids (`29:…`), which are
 * mapped to Azure AD ids once and remembered.
 */
export class TeamsDirectory {
  readonly #pending = new Map<string, Promise<Member>>();
  /** Teams user ids already mapped to their Azure AD id, so the mapping is written once. */
  readonly #mapped = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    /** Local mode takes the Bot Framework Emulator, whose users the Bot Connector does not know. */
    private readonly localMode = false,
    /** What comes with a user's first sight (the admins PLAUDIT_INITIAL_ADMINS names). */
    private readonly onFirstSight?: OnFirstSight,
  ) {}

  /**
   * The member an account is, creating them on first sight; `read` is the member its
   * Azure AD object id is, when the caller has just read them.
   */
  member(
    context: TurnContext,
    tenant: TeamsTenant,
    account: TeamsAccount,
    read?: Member,
  ): Promise<Member> {
    if (read && account.aadObjectId) return this.#known(tenant, account, account.aadObjectId, read);
    const key = `${tenant.tenantId}:${account.aadObjectId ?? account.id}`;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#member(context, tenant, account).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  /**
   * A mention resolver bound to this turn's conversation and tenant; `read` holds the
   * members mentioned Teams user ids are, when the turn has just read them.
   */
  resolverFor(
    context: TurnContext,
    tenant: TeamsTenant,
    read: ReadonlyMap<string, Member> = new Map(),
  ): MentionResolver {
    return {
      resolve: async (_organizationId: number, refs: readonly RecipientRef[]) => {
        const members: Member[] = [];
        const unknown: string[] = [];
        const outsiders: string[] = [];
        for (const ref of refs) {
          if (ref.kind !== 'teams_user') {
            // Teams people are named by picking them from the mention list, not by typing.
            unknown.push(ref.kind === 'name' ? `@${ref.name}` : 'that person');
            continue;
          }
          // Read with the tenant: a Teams user id's member, as #member would read it.
          const known = GUID.test(ref.userId) ? undefined : read.get(ref.userId);
          if (known) {
            members.push(known);
            continue;
          }
          const member = await this.member(context, tenant, { id: ref.userId }).catch(
            (error: unknown) => {
              if (error instanceof OutsiderUser) return error;
              this.logger.info(
                { err: error, userId: ref.userId },
                'a mentioned Teams user is unknown',
              );
              return undefined;
            },
          );
          if (member instanceof OutsiderUser) outsiders.push(ref.name ?? member.displayName);
          else if (member) members.push(member);
          else unknown.push(ref.name && !ref.name.startsWith('29:') ? ref.name : 'that person');
        }
        return { members, unknown, outsiders };
      },
    };
  }

  async #member(context: TurnContext, tenant: TeamsTenant, account: TeamsAccount): Promise<Member> {
    let aadObjectId = account.aadObjectId ?? (GUID.test(account.id) ? account.id : undefined);
    if (aadObjectId) {
      const known = await findIdentifiedMember(this.db, this.#identity(tenant, aadObjectId));
      if (known) return this.#known(tenant, account, aadObjectId, known);
    } else {
      // A Teams user id (a mention's): its Azure AD id, and the member that is, in one read.
      const [row] = await memberOfUserId(this.db, tenant.tenantId, account.id);
      if (row?.id != null) return toMember(row as MemberRow);
      aadObjectId = row?.aad_object_id;
    }
    const details = await this.#details(context, account);
    const objectId = details.aadObjectId ?? aadObjectId;
    if (!objectId) throw new Error(`Teams user ${account.id} has no Azure AD object id`);
    const member = await memberOnFirstSight(
      this.db,
      tenant.organizationId,
      this.#identity(tenant, objectId),
      sightedUser(details, account.name, tenant),
      this.onFirstSight,
    );
    if (details.id && details.id !== objectId)
      await this.#rememberUserId(tenant, details.id, objectId);
    return member;
  }

  /** A member found by their Azure AD id; the Teams user id the account names maps to it. */
  async #known(
    tenant: TeamsTenant,
    account: TeamsAccount,
    aadObjectId: string,
    known: Member,
  ): Promise<Member> {
    if (account.aadObjectId && account.id !== aadObjectId) {
      await this.#rememberUserId(tenant, account.id, aadObjectId);
    }
    return known;
  }

  /**
   * The member a person of a mirrored team is, from the record the team's member list
   * carries (no lookup of their own): a known one as stored, anyone else on first sight.
   * People of other tenants (a shared channel) are refused.
   */
  async mirroredMember(tenant: TeamsTenant, details: TeamsMemberDetails): Promise<Member> {
    if (details.tenantId && details.tenantId.toLowerCase() !== tenant.tenantId) {
      throw new Error(`Teams user ${details.id} is in another tenant`);
    }
    const objectId = details.aadObjectId;
    if (!objectId) throw new Error(`Teams user ${details.id} has no Azure AD object id`);
    if (details.id && details.id !== objectId) {
      await this.#rememberUserId(tenant, details.id, objectId);
    }
    const identity = this.#identity(tenant, objectId);
    const known = await findIdentifiedMember(this.db, identity);
    if (known) return known;
    return memberOnFirstSight(
      this.db,
      tenant.organizationId,
      identity,
      sightedUser(details, undefined, tenant),
      this.onFirstSight,
    );
  }

  /**
   * The Bot Connector's record of a user. The Bot Framework Emulator (local mode) has none;
   * there the activity's own account stands in, with no email.
   */
  async #details(context: TurnContext, account: TeamsAccount): Promise<TeamsMemberDetails> {
    let details: TeamsMemberDetails;
    try {
      details = (await TeamsInfo.getMember(context, account.id)) as TeamsMemberDetails;
    } catch (error) {
      if (!this.localMode || account.id !== context.activity.from?.id) throw error;
      return { id: account.id, aadObjectId: account.aadObjectId ?? account.id, name: account.name };
    }
    // A shared channel or a federated chat may show people of other tenants: their tenant
    // is their home, and first sight refuses them unless it is connected to the organization.
    return details;
  }

  #identity(tenant: TeamsTenant, aadObjectId: string) {
    return {
      platform: 'teams' as const,
      tenantId: tenant.tenantId,
      userId: aadObjectId.toLowerCase(),
    };
  }

  async #rememberUserId(tenant: TeamsTenant, userId: string, aadObjectId: string): Promise<void> {
    const key = `${tenant.tenantId}:${userId}`;
    if (this.#mapped.has(key)) return;
    await this.db
      .insertInto('teams_users')
      .values({
        tenant_id: tenant.tenantId,
        user_id: userId,
        aad_object_id: aadObjectId.toLowerCase(),
      })
      .onConflict((conflict) => conflict.columns(['tenant_id', 'user_id']).doNothing())
      .execute();
    this.#mapped.add(key);
  }
}

/** How the Bot Connector's record of a person reads as a member's. */
function sightedUser(
  details: TeamsMemberDetails,
  fallbackName: string | undefined,
  tenant: TeamsTenant,
): SightedUser {
  return {
    // The Connector names the tenant of a person from elsewhere; the Emulator names none.
    home: { tenantId: details.tenantId?.toLowerCase() ?? tenant.tenantId },
    displayName: details.name?.trim() || fallbackName?.trim() || 'Teams user',
    email: details.email?.trim().toLowerCase() || null,
    status: 'active',
    isGuest: details.userRole === 'guest',
    isBot: false,
  };
}

/**
 * The Azure AD id a Teams user id maps to, and the member that is if any: read for each
 * person a command mentions, compiled once.
 */
const memberOfUserId = compiledQuery((db, tenantId: string, userId: string) =>
  db
    .selectFrom('teams_users as u')
    .leftJoin('platform_identities as p', (join) =>
      join
        .on('p.platform', '=', 'teams')
        .onRef('p.tenant_id', '=', 'u.tenant_id')
        .onRef('p.user_id', '=', 'u.aad_object_id'),
    )
    .leftJoin('members as m', 'm.id', 'p.member_id')
    .select('u.aad_object_id')
    .select(MEMBER_COLUMNS.map((column) => `m.${column}` as const))
    .where('u.tenant_id', '=', tenantId)
    .where('u.user_id', '=', userId),
);

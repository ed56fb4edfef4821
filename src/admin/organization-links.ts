import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import { ok, type Result } from '../core/result.ts';
import { sha256Hex } from '../core/secrets.ts';
import type { Database } from '../db/database.ts';
import type { Platform } from '../db/tables.ts';
import { requireRole } from './access.ts';
import type { AdminActor } from './admin-actor.ts';
import { type AdminRefusal, type AdminRefusalCode, adminRefusal } from './admin-refusals.ts';
import { writeAudit } from './audit-log.ts';

/**
 * Linking a further Slack workspace or Teams tenant to an organization, so that a company
 * on Slack and Teams (or an Enterprise Grid's workspaces) has one ledger. An admin of the
 * organization makes a one-time code; an admin where the workspace or tenant is (its own
 * organization until then) runs it there, and the workspace or tenant moves. Ledgers are
 * never merged: an organization that has points already (given, adjusted or redeemed) is
 * not left behind, so its workspace is refused.
 */

/** Crockford's base 32: no I, L, O or U, so a code read aloud or retyped is not misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 28 characters of 5 bits: 140 random bits. */
const CODE_LENGTH = 28;
const GROUP = 4;

/** How long a code works. */
export const LINK_CODE_HOURS = 24;

/** A new code, in groups of four: `K7QM-3XTR-…`. Shown once; only its hash is kept. */
export function newLinkCode(): string {
  const chars = Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]);
  const groups: string[] = [];
  for (let at = 0; at < CODE_LENGTH; at += GROUP) groups.push(chars.slice(at, at + GROUP).join(''));
  return groups.join('-');
}

/**
 * A typed code as it was made: case, dashes and spaces do not matter, and the letters
 * Crockford's alphabet leaves out read as the digits they look like. Undefined when it
 * cannot be a code at all.
 */
export function normalizeLinkCode(text: string): string | undefined {
  const compact = text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (compact.length !== CODE_LENGTH) return undefined;
  return [...compact].every((char) => ALPHABET.includes(char)) ? compact : undefined;
}

const hashOf = (normalized: string) => sha256Hex(normalized);

export interface LinkCode {
  readonly code: string;
  readonly expiresAt: Date;
  readonly organizationName: string;
}

/** Makes a link code for the actor's organization; only admins may. */
export async function createLinkCode(
  db: Database,
  actor: AdminActor,
): Promise<Result<LinkCode, AdminRefusalCode>> {
  const denied = await requireRole(db, actor, 'admin', 'make link codes', {
    action: 'organization.link_code',
  });
  if (denied) return denied;
  if (actor.memberId === null) {
    return adminRefusal('usage', 'A link code is made by an admin in chat.');
  }
  const code = newLinkCode();
  const made = await db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('organization_link_codes')
      .values({
        organization_id: actor.organizationId,
        created_by_member_id: actor.memberId as number,
        code_hash: hashOf(normalizeLinkCode(code) as string),
        expires_at: sql<Date>`now() + make_interval(hours => ${LINK_CODE_HOURS})`,
      })
      .returning(['id', 'expires_at'])
      .executeTakeFirstOrThrow();
    await writeAudit(trx, actor, {
      action: 'organization.link_code',
      target: `link_code:${row.id}`,
      outcome: 'done',
      after: { expiresAt: row.expires_at.toISOString() },
    });
    const organization = await trx
      .selectFrom('organizations')
      .select('name')
      .where('id', '=', actor.organizationId)
      .executeTakeFirstOrThrow();
    return { expiresAt: row.expires_at, organizationName: organization.name };
  });
  return ok({ code, ...made });
}

/** Where a link command came from: the workspace or tenant that moves. */
export interface LinkedPlace {
  readonly platform: Platform;
  /** The Slack team id or Teams tenant id. */
  readonly tenantId: string;
}

export interface LinkDone {
  readonly organizationId: number;
  readonly organizationName: string;
  /** The people of the workspace or tenant who were members of the organization it left. */
  readonly peopleMoved: number;
}

/**
 * Runs a link code where the actor is: the actor's workspace or tenant leaves the actor's
 * organization for the code's. Only an admin of the organization it leaves may, with a
 * code that is known, unused, unexpired and of another organization, and only while that
 * organization has no points (nothing given, adjusted or redeemed): its ledger would be
 * left behind. Then the workspace or tenant's people lose their identities there and are
 * seen anew as members of the code's organization (joined by email to its members, as
 * first sight does), and both organizations' audit logs tell of it. The same code run
 * twice at once links once: the code's row is locked until the move commits.
 */
export async function redeemLinkCode(
  db: Database,
  actor: AdminActor,
  place: LinkedPlace,
  typed: string,
): Promise<Result<LinkDone, AdminRefusalCode>> {
  const target = `${place.platform}:${place.tenantId}`;
  const denied = await requireRole(
    db,
    actor,
    'admin',
    'link this workspace to another organization',
    { action: 'organization.move', target },
  );
  if (denied) return denied;
  const refused = async (executor: Database, refusal: AdminRefusal) => {
    await writeAudit(executor, actor, {
      action: 'organization.move',
      target,
      outcome: 'refused',
      refusalCode: refusal.code,
    });
    return refusal;
  };
  if (place.platform === 'local') {
    return refused(
      db,
      adminRefusal(
        'not_linkable',
        'Linking moves a Slack workspace or a Teams tenant to another organization; the local console has none to move. Nothing changed.',
      ),
    );
  }
  const platform = place.platform;
  const normalized = normalizeLinkCode(typed);
  if (normalized === undefined) return refused(db, unknownCode());
  return db.transaction().execute(async (trx) => {
    const code = await trx
      .selectFrom('organization_link_codes')
      .select([
        'id',
        'organization_id',
        'created_by_member_id',
        'used_at',
        sql<boolean>`expires_at <= now()`.as('expired'),
      ])
      .where('code_hash', '=', hashOf(normalized))
      .forUpdate()
      .executeTakeFirst();
    if (!code) return refused(trx, unknownCode());
    if (code.used_at !== null) {
      return refused(
        trx,
        adminRefusal(
          'used_link_code',
          'That link code was used already, and each works once. Ask an admin of the organization that made it for a new one. Nothing changed.',
        ),
      );
    }
    if (code.expired) {
      return refused(
        trx,
        adminRefusal(
          'expired_link_code',
          `That link code has expired (a code works for ${LINK_CODE_HOURS} hours). Ask an admin of the organization that made it for a new one. Nothing changed.`,
        ),
      );
    }
    const from = actor.organizationId;
    const to = code.organization_id;
    if (to === from) {
      return refused(
        trx,
        adminRefusal(
          'same_organization',
          'That link code is for this organization itself: run it in the other workspace or tenant, the one to bring in. Nothing changed.',
        ),
      );
    }
    // A transfer written here but not committed yet is waited for (its foreign key to the
    // organization holds a lock this one excludes), so the check below sees it.
    await trx.selectFrom('organizations').select('id').where('id', '=', from).forUpdate().execute();
    const connected = await connectedOrganization(trx, place);
    if (connected !== from) {
      return refused(
        trx,
        adminRefusal(
          'not_linkable',
          'This workspace is not part of this organization any more (it was linked elsewhere a moment ago). Nothing changed.',
        ),
      );
    }
    if (await hasPoints(trx, from)) {
      return refused(
        trx,
        adminRefusal(
          'organization_has_points',
          'This organization already has points given, adjusted or redeemed, and linking would leave them behind (ledgers are not merged), so this workspace stays where it is. Link a workspace or tenant before anyone gives kudos in it; to keep these points, keep the two organizations apart.',
        ),
      );
    }
    await trx
      .updateTable('organization_link_codes')
      .set({
        used_at: sql<Date>`now()`,
        used_platform: platform,
        used_tenant_id: place.tenantId,
        used_from_organization_id: from,
      })
      .where('id', '=', code.id)
      .execute();
    await moveConnection(trx, place, to);
    const peopleMoved = await leaveOrganization(trx, place, from, to);
    const source = await organizationName(trx, from);
    const destination = await organizationName(trx, to);
    await writeAudit(trx, actor, {
      action: 'organization.move',
      target,
      outcome: 'done',
      before: { organizationId: from, organizationName: source },
      after: { organizationId: to, organizationName: destination, peopleMoved },
    });
    // In the organization it joined, the entry is the code maker's: they let it in.
    const maker = await trx
      .selectFrom('members')
      .select(['display_name', 'roles'])
      .where('id', '=', code.created_by_member_id)
      .executeTakeFirstOrThrow();
    await writeAudit(
      trx,
      {
        organizationId: to,
        memberId: code.created_by_member_id,
        tokenId: null,
        roles: maker.roles,
        via: actor.via,
        name: maker.display_name,
      },
      {
        action: 'organization.link',
        target,
        outcome: 'done',
        after: {
          linkCode: code.id,
          fromOrganizationId: from,
          fromOrganizationName: source,
          linkedBy: actor.name,
          peopleMoved,
        },
      },
    );
    return ok({ organizationId: to, organizationName: destination, peopleMoved });
  });
}

function unknownCode(): AdminRefusal {
  return adminRefusal(
    'unknown_link_code',
    'That is not a link code Plaudit made: check it for typos, or ask an admin of the organization to join for a new one. Nothing changed.',
  );
}

/** The organization the workspace or tenant is connected to now, its row locked. */
async function connectedOrganization(
  trx: Database,
  place: LinkedPlace,
): Promise<number | undefined> {
  if (place.platform === 'slack') {
    const row = await trx
      .selectFrom('slack_workspaces')
      .select('organization_id')
      .where('team_id', '=', place.tenantId)
      .forUpdate()
      .executeTakeFirst();
    return row?.organization_id;
  }
  const row = await trx
    .selectFrom('teams_tenants')
    .select('organization_id')
    .where('tenant_id', '=', place.tenantId.toLowerCase())
    .forUpdate()
    .executeTakeFirst();
  return row?.organization_id;
}

/** Whether an organization's ledger has points: given, adjusted, held or redeemed. */
async function hasPoints(trx: Database, organizationId: number): Promise<boolean> {
  const transfer = await trx
    .selectFrom('ledger_transfers')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('asset', '=', 'points')
    .limit(1)
    .executeTakeFirst();
  if (transfer) return true;
  const redemption = await trx
    .selectFrom('redemptions')
    .select('id')
    .where('organization_id', '=', organizationId)
    .limit(1)
    .executeTakeFirst();
  return redemption !== undefined;
}

async function moveConnection(trx: Database, place: LinkedPlace, to: number): Promise<void> {
  if (place.platform === 'slack') {
    await trx
      .updateTable('slack_workspaces')
      .set({ organization_id: to })
      .where('team_id', '=', place.tenantId)
      .execute();
    return;
  }
  await trx
    .updateTable('teams_tenants')
    .set({ organization_id: to })
    .where('tenant_id', '=', place.tenantId.toLowerCase())
    .execute();
}

/**
 * What the organization left keeps of the workspace or tenant goes: its people's
 * identities (they are seen anew, as members of the organization joined), and in Teams
 * the personal chats kept for its members; its group chats and channels move along. Its
 * people who have no other identity there leave it (deactivated, as a leaver is), so it
 * grants them no allowance. Returns how many people that was.
 */
async function leaveOrganization(
  trx: Database,
  place: LinkedPlace,
  from: number,
  to: number,
): Promise<number> {
  const tenantId = place.platform === 'teams' ? place.tenantId.toLowerCase() : place.tenantId;
  const removed = await trx
    .deleteFrom('platform_identities')
    .where('organization_id', '=', from)
    .where('platform', '=', place.platform)
    .where('tenant_id', '=', tenantId)
    .returning('member_id')
    .execute();
  if (place.platform === 'teams') {
    await trx
      .deleteFrom('teams_conversations')
      .where('organization_id', '=', from)
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', 'personal')
      .execute();
    await sql`
      update teams_conversations c set organization_id = ${to}
      where c.organization_id = ${from} and c.tenant_id = ${tenantId}
        and not exists (
          select 1 from teams_conversations x
          where x.organization_id = ${to} and x.conversation_id = c.conversation_id)`.execute(trx);
    await trx
      .deleteFrom('teams_conversations')
      .where('organization_id', '=', from)
      .where('tenant_id', '=', tenantId)
      .execute();
  }
  const memberIds = [...new Set(removed.map((row) => row.member_id))];
  if (memberIds.length === 0) return 0;
  await trx
    .updateTable('members')
    .set({ status: 'deactivated', deactivated_at: sql<Date>`now()` })
    .where('organization_id', '=', from)
    .where('id', 'in', memberIds)
    .where('status', '=', 'active')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('platform_identities as p')
            .select('p.member_id')
            .whereRef('p.member_id', '=', 'members.id'),
        ),
      ),
    )
    .execute();
  return memberIds.length;
}

async function organizationName(trx: Database, id: number): Promise<string> {
  const row = await trx
    .selectFrom('organizations')
    .select('name')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.name;
}

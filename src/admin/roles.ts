import { sql } from 'kysely';
import { ok, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import type { MemberRole } from '../db/tables.ts';
import { requireRole } from './access.ts';
import type { AdminActor } from './admin-actor.ts';
import { type AdminRefusal, type AdminRefusalCode, adminRefusal } from './admin-refusals.ts';
import { writeAudit } from './audit-log.ts';

export const ROLES: readonly MemberRole[] = ['member', 'admin', 'hr'];

export function isRole(value: string): value is MemberRole {
  return (ROLES as readonly string[]).includes(value);
}

export interface RoleChange {
  readonly memberId: number;
  readonly role: MemberRole;
  readonly change: 'grant' | 'revoke';
}

export interface MemberRoles {
  readonly memberId: number;
  readonly displayName: string;
  readonly roles: readonly MemberRole[];
}

const sortRoles = (roles: readonly MemberRole[]) =>
  ROLES.filter((role) => roles.includes(role)) as MemberRole[];

/**
 * Grants or revokes a role. Only admins may; everyone keeps `member`; the last admin
 * keeps `admin`. The organization's admins are locked in id order first, so two admins
 * revoking each other at once cannot leave nobody: the second sees the first's change.
 */
export async function changeRole(
  db: Database,
  actor: AdminActor,
  change: RoleChange,
): Promise<Result<MemberRoles, AdminRefusalCode>> {
  const action = `role.${change.change}`;
  const target = `member:${change.memberId}`;
  const denied = await requireRole(db, actor, 'admin', 'change roles', {
    action,
    target,
    wanted: { role: change.role },
  });
  if (denied) return denied;
  if (change.role === 'member') {
    return adminRefusal('unknown_role', 'Everyone is a member; grant or revoke admin or hr.');
  }
  return db.transaction().execute(async (trx) => {
    // Only admins who can act count: a leaver or a bot holding the role helps nobody.
    const admins = await trx
      .selectFrom('members')
      .select('id')
      .where('organization_id', '=', actor.organizationId)
      .where(sql<boolean>`'admin' = any(roles)`)
      .where('status', '=', 'active')
      .where('is_bot', '=', false)
      .orderBy('id')
      .forNoKeyUpdate()
      .execute();
    const member = await trx
      .selectFrom('members')
      .select(['id', 'display_name', 'roles', 'is_bot', 'is_guest'])
      .where('organization_id', '=', actor.organizationId)
      .where('id', '=', change.memberId)
      .forNoKeyUpdate()
      .executeTakeFirst();
    if (!member) {
      return adminRefusal('unknown_member', `There is no member ${change.memberId} here.`);
    }
    const before = sortRoles(member.roles);
    const refusal = refusedChange(change, member, admins);
    if (refusal) {
      await writeAudit(trx, actor, {
        action,
        target,
        outcome: 'refused',
        refusalCode: refusal.code,
        before: { roles: before },
      });
      return refusal;
    }
    const after = sortRoles(
      change.change === 'grant'
        ? [...before, change.role]
        : before.filter((role) => role !== change.role),
    );
    if (after.length !== before.length) {
      await trx.updateTable('members').set({ roles: after }).where('id', '=', member.id).execute();
    }
    await writeAudit(trx, actor, {
      action,
      target,
      outcome: 'done',
      before: { roles: before },
      after: { roles: after },
    });
    return ok({ memberId: member.id, displayName: member.display_name, roles: after });
  });
}

/** Why a role change cannot be made: a bot or guest given a role, or the last admin's taken. */
function refusedChange(
  change: RoleChange,
  member: { id: number; display_name: string; is_bot: boolean; is_guest: boolean },
  admins: ReadonlyArray<{ id: number }>,
): AdminRefusal | undefined {
  if (change.change === 'grant' && (member.is_bot || member.is_guest)) {
    return adminRefusal(
      'not_eligible',
      `${member.display_name} is ${member.is_bot ? 'a bot' : 'a guest'}; only people of the organization can be ${change.role === 'admin' ? 'admins' : 'in HR'}.`,
    );
  }
  const lastAdmin = admins.length === 1 && admins[0]?.id === member.id;
  if (change.change === 'revoke' && change.role === 'admin' && lastAdmin) {
    return adminRefusal(
      'last_admin',
      `${member.display_name} is the last admin; make someone else admin first.`,
    );
  }
  return undefined;
}

/** Everyone who holds a role beyond `member`, by name. */
export async function listRoleHolders(
  db: Database,
  organizationId: number,
): Promise<MemberRoles[]> {
  const rows = await db
    .selectFrom('members')
    .select(['id', 'display_name', 'roles'])
    .where('organization_id', '=', organizationId)
    .where(sql<boolean>`roles && array['admin', 'hr']::text[]`)
    .orderBy('display_name')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    memberId: row.id,
    displayName: row.display_name,
    roles: sortRoles(row.roles),
  }));
}

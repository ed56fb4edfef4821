import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { MemberRole } from '../db/tables.ts';
import { systemActor } from './admin-actor.ts';
import { writeAudit } from './audit-log.ts';

/**
 * Who named an admin when no admin did: the person who installed Plaudit (OAuth), the
 * PLAUDIT_INITIAL_ADMINS setting, or an operator with `npm run admin:grant`.
 */
export type AdminGrantSource = 'installer' | 'configuration' | 'operator';

const WHY: Record<AdminGrantSource, string> = {
  installer: 'the person who installed Plaudit',
  configuration: 'named in PLAUDIT_INITIAL_ADMINS',
  operator: 'granted by an operator with npm run admin:grant',
};

/**
 * Makes a member admin on the system's word, audited with the source in `after`. Only a
 * person can be made admin (not a bot or guest, not someone who left); someone already
 * admin is left alone, so two processes granting at once write one entry. Returns the
 * roles after, or undefined when nothing changed. Give it the transaction of the change
 * that brought the member in, so the grant commits with it.
 */
export async function grantAdminAsSystem(
  trx: Database,
  organizationId: number,
  memberId: number,
  source: AdminGrantSource,
): Promise<MemberRole[] | undefined> {
  const granted = await trx
    .updateTable('members')
    .set({ roles: sql`array_append(roles, 'admin')` })
    .where('organization_id', '=', organizationId)
    .where('id', '=', memberId)
    .where(sql<boolean>`not ('admin' = any(roles))`)
    .where('status', '=', 'active')
    .where('is_bot', '=', false)
    .where('is_guest', '=', false)
    .returning('roles')
    .executeTakeFirst();
  if (!granted) return undefined;
  await writeAudit(trx, systemActor(organizationId, 'Plaudit'), {
    action: 'role.grant',
    target: `member:${memberId}`,
    outcome: 'done',
    before: { roles: granted.roles.filter((role) => role !== 'admin') },
    after: { roles: granted.roles, grantedBy: source, why: WHY[source] },
  });
  return granted.roles;
}

/**
 * The seam for installing through OAuth: the installer becomes the organization's first
 * admin, unless it has one already (a reinstall names nobody new). The organization's row
 * is locked (without blocking inserts that reference it), so two installs at once make
 * one admin. Returns whether the member was made admin.
 */
export async function makeInstallerFirstAdmin(
  db: Database,
  organizationId: number,
  memberId: number,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await sql`select id from organizations where id = ${organizationId} for no key update`.execute(
      trx,
    );
    const admin = await trx
      .selectFrom('members')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where(sql<boolean>`'admin' = any(roles)`)
      .executeTakeFirst();
    if (admin) return false;
    return (await grantAdminAsSystem(trx, organizationId, memberId, 'installer')) !== undefined;
  });
}

import { sql } from 'kysely';
import { ok, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import type { GroupSource } from '../db/tables.ts';
import {
  addGroupMembers,
  findGroup,
  type Group,
  groupMemberIds,
  listGroupsWithMembers,
  lockMirroredGroup,
  type MirroredGroupKey,
  membersOfOrganization,
  removeGroupMembers,
} from '../directory/groups.ts';
import { checkName } from '../directory/refusals.ts';
import { requireRole } from './access.ts';
import type { AdminActor } from './admin-actor.ts';
import { type AdminRefusal, type AdminRefusalCode, adminRefusal } from './admin-refusals.ts';
import type { AdminServices } from './admin-services.ts';
import { type AuditRecord, writeAudit } from './audit-log.ts';

/** A group as admins and the HTTP API see it. */
export interface GroupView {
  readonly id: number;
  readonly name: string;
  readonly source: GroupSource;
  /** The Slack user group id or Teams team id a mirrored group follows. */
  readonly externalId: string | null;
  readonly memberIds: number[];
}

/** A platform's way of mirroring its groups (Slack user groups, Teams teams) on demand. */
export interface GroupMirror {
  readonly platform: 'slack' | 'teams';
  /** Mirrors every group of the actor's organization this platform has; audited as the actor. */
  sync(actor: AdminActor): Promise<MirrorReport>;
}

export interface MirrorReport {
  /** Groups mirrored (a user group disabled before it was ever mirrored is not). */
  readonly groups: number;
  /** Of those, the ones created or changed. */
  readonly changed: number;
  /** Groups that could not be mirrored, by the platform's name, for the admin to look at. */
  readonly failed: readonly string[];
}

/**
 * Whether a mirror may bring people in when nobody asked (at start, on a platform's
 * event). Not before the organization has its admin, so nobody is brought in before someone
 * runs the program here. (This once also kept a mirror's first sight of a whole user group
 * from picking the first admin at random; admins are named now, see initial-admins.ts.)
 * An admin's `groups sync` mirrors at once.
 */
export async function mayMirrorUnasked(db: Database, organizationId: number): Promise<boolean> {
  const admin = await db
    .selectFrom('members')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where(sql<boolean>`'admin' = any(roles)`)
    .limit(1)
    .executeTakeFirst();
  return admin !== undefined;
}

const toView = (group: Group, memberIds: number[]): GroupView => ({
  id: group.id,
  name: group.name,
  source: group.source,
  externalId: group.externalId,
  memberIds,
});

const MIRRORED_BY: Record<Exclude<GroupSource, 'manual'>, string> = {
  slack: 'Slack user group',
  teams: 'Microsoft Teams team',
};

/** The refusal for changing by hand what a platform decides. */
function mirroredRefusal(group: Group): AdminRefusal {
  if (group.source === 'manual') throw new Error('a hand-made group is not mirrored');
  const where = group.source === 'slack' ? 'Slack' : 'Teams';
  return adminRefusal(
    'mirrored_group',
    `${group.name} follows a ${MIRRORED_BY[group.source]}, so it cannot be changed here; change it in ${where} and Plaudit follows.`,
  );
}

/** Refuses a change by hand to a mirrored group, audited with what it was and what was wanted. */
async function refuseMirrored(
  trx: Database,
  actor: AdminActor,
  group: Group,
  change: Pick<AuditRecord, 'action' | 'target' | 'before' | 'after'>,
): Promise<AdminRefusal> {
  const refusal = mirroredRefusal(group);
  await writeAudit(trx, actor, {
    action: change.action,
    target: change.target,
    outcome: 'refused',
    refusalCode: refusal.code,
    before: change.before,
    after: change.after,
  });
  return refusal;
}

/** A group of the organization by id, locked until the transaction ends; none for a bad id. */
async function lockedGroup(
  trx: Database,
  organizationId: number,
  groupId: number,
): Promise<Group | undefined> {
  return Number.isSafeInteger(groupId)
    ? findGroup(trx, organizationId, groupId, { forUpdate: true })
    : undefined;
}

export async function listGroups(db: Database, organizationId: number): Promise<GroupView[]> {
  const groups = await listGroupsWithMembers(db, organizationId);
  return groups.map((group) => toView(group, group.memberIds));
}

/** The refusal when some of these ids are not members of the organization. */
async function strangers(
  db: Database,
  organizationId: number,
  memberIds: readonly number[],
): Promise<AdminRefusal | undefined> {
  if (!memberIds.every((id) => Number.isSafeInteger(id) && id > 0)) {
    return adminRefusal('unknown_member', 'Members are named by their ids, whole numbers.');
  }
  const known = await membersOfOrganization(db, organizationId, memberIds);
  const unknown = [...new Set(memberIds)].filter((id) => !known.has(id));
  if (unknown.length === 0) return undefined;
  return adminRefusal(
    'unknown_member',
    `There is no member ${unknown.join(', ')} here; a group holds members of this organization only.`,
  );
}

/**
 * Makes a group by hand, with its first members. Only admins may; the name is unique in
 * the organization; the audit entry commits with the group.
 */
export async function createGroupAsAdmin(
  services: AdminServices,
  actor: AdminActor,
  input: { name: string; memberIds?: number[] },
): Promise<Result<GroupView, AdminRefusalCode>> {
  const { db } = services;
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  const memberIds = [...new Set(input.memberIds ?? [])];
  const denied = await requireRole(db, actor, 'admin', 'create groups', {
    action: 'group.create',
    wanted: { name, memberIds },
  });
  if (denied) return denied;
  const badName = checkName('group', name);
  if (badName) return adminRefusal('invalid_group', badName.message);
  const unknown = await strangers(db, actor.organizationId, memberIds);
  if (unknown) return unknown;
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('groups')
      .values({ organization_id: actor.organizationId, name })
      .onConflict((conflict) => conflict.columns(['organization_id', 'name']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row) return adminRefusal('group_taken', `There is already a group called ${name}.`);
    const group: Group = {
      id: row.id,
      organizationId: actor.organizationId,
      name,
      source: 'manual',
      externalId: null,
    };
    await addGroupMembers(trx, group, memberIds);
    const view = toView(
      group,
      [...memberIds].sort((x, y) => x - y),
    );
    await writeAudit(trx, actor, {
      action: 'group.create',
      target: `group:${group.id}`,
      outcome: 'done',
      after: { name: view.name, memberIds: view.memberIds },
    });
    return ok(view);
  });
}

/**
 * Adds members to a hand-made group and takes others out. Only admins may; a group that
 * mirrors Slack or Teams is refused (the platform decides who is in it), and the refusal is
 * audited. The audit entry, with the members before and after, commits with the change.
 */
export async function changeGroupMembers(
  services: AdminServices,
  actor: AdminActor,
  groupId: number,
  change: { add?: number[]; remove?: number[] },
): Promise<Result<GroupView, AdminRefusalCode>> {
  const { db } = services;
  const add = [...new Set(change.add ?? [])];
  const remove = [...new Set(change.remove ?? [])];
  const action = 'group.members';
  const target = `group:${groupId}`;
  const denied = await requireRole(db, actor, 'admin', 'change groups', {
    action,
    target,
    wanted: { add, remove },
  });
  if (denied) return denied;
  if (add.length === 0 && remove.length === 0) {
    return adminRefusal('usage', 'Name the members to add to the group or take out of it.');
  }
  const both = add.filter((id) => remove.includes(id));
  if (both.length > 0) {
    return adminRefusal('usage', 'A member cannot be added and taken out in the same change.');
  }
  const unknown =
    (await strangers(db, actor.organizationId, add)) ??
    (remove.every((id) => Number.isSafeInteger(id) && id > 0)
      ? undefined
      : adminRefusal('unknown_member', 'Members are named by their ids, whole numbers.'));
  if (unknown) return unknown;
  return db.transaction().execute(async (trx) => {
    const group = await lockedGroup(trx, actor.organizationId, groupId);
    if (!group) return adminRefusal('unknown_group', `There is no group ${groupId} here.`);
    const before = await groupMemberIds(trx, group);
    if (group.source !== 'manual') {
      return refuseMirrored(trx, actor, group, {
        action,
        target,
        before: { memberIds: before },
        after: { add, remove },
      });
    }
    await addGroupMembers(trx, group, add);
    await removeGroupMembers(trx, group, remove);
    const after = await groupMemberIds(trx, group);
    await writeAudit(trx, actor, {
      action,
      target,
      outcome: 'done',
      before: { memberIds: before },
      after: { memberIds: after },
    });
    return ok(toView(group, after));
  });
}

/**
 * Renames a hand-made group (rules name groups by id, so they keep naming it). Only admins
 * may; a mirrored group takes its platform's name; the new name must be free.
 */
export async function renameGroup(
  services: AdminServices,
  actor: AdminActor,
  groupId: number,
  newName: string,
): Promise<Result<GroupView, AdminRefusalCode>> {
  const { db } = services;
  const name = typeof newName === 'string' ? newName.trim() : '';
  const action = 'group.rename';
  const target = `group:${groupId}`;
  const denied = await requireRole(db, actor, 'admin', 'rename groups', {
    action,
    target,
    wanted: { name },
  });
  if (denied) return denied;
  const badName = checkName('group', name);
  if (badName) return adminRefusal('invalid_group', badName.message);
  return db.transaction().execute(async (trx) => {
    const group = await lockedGroup(trx, actor.organizationId, groupId);
    if (!group) return adminRefusal('unknown_group', `There is no group ${groupId} here.`);
    if (group.source !== 'manual') {
      return refuseMirrored(trx, actor, group, {
        action,
        target,
        before: { name: group.name },
        after: { name },
      });
    }
    const renamed = await trx
      .updateTable('groups')
      .set({ name })
      .where('id', '=', group.id)
      .where(
        sql<boolean>`not exists (select 1 from groups other
          where other.organization_id = ${actor.organizationId} and other.name = ${name}
            and other.id <> ${group.id})`,
      )
      .returning('id')
      .executeTakeFirst();
    if (!renamed) return adminRefusal('group_taken', `There is already a group called ${name}.`);
    await writeAudit(trx, actor, {
      action,
      target,
      outcome: 'done',
      before: { name: group.name },
      after: { name },
    });
    return ok(toView({ ...group, name }, await groupMemberIds(trx, group)));
  });
}

/** A Slack user group or Teams team as its platform has it now. */
export interface MirroredGroupState extends MirroredGroupKey {
  readonly name: string;
  /**
   * Its members, already members of the organization. Empty for a user group disabled in
   * Slack or a team deleted in Teams (or the bot removed from it): rules that name the
   * group then let nobody through it, and the group (and the rules naming it) stays for
   * when it comes back.
   */
  readonly memberIds: readonly number[];
}

/**
 * Makes a mirrored group say what its platform says: created on first sight, renamed, its
 * members added and taken out. The `group.mirror` audit entry, with the name and members
 * before and after, commits with the change, and is written only when something changed.
 */
export async function applyMirroredGroup(
  db: Database,
  actor: AdminActor,
  state: MirroredGroupState,
): Promise<{ group: GroupView; changed: boolean }> {
  if (state.organizationId !== actor.organizationId) {
    throw new Error('a group is mirrored into the organization of the actor that mirrors it');
  }
  const wanted = [...new Set(state.memberIds)].sort((a, b) => a - b);
  return db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('groups')
      .select('name')
      .where('organization_id', '=', state.organizationId)
      .where('source', '=', state.source)
      .where('external_id', '=', state.externalId)
      .executeTakeFirst();
    const { group, created } = await lockMirroredGroup(trx, state, state.name);
    const before = created ? [] : await groupMemberIds(trx, group);
    const wantedSet = new Set(wanted);
    const beforeSet = new Set(before);
    await removeGroupMembers(
      trx,
      group,
      before.filter((id) => !wantedSet.has(id)),
    );
    await addGroupMembers(
      trx,
      group,
      wanted.filter((id) => !beforeSet.has(id)),
    );
    const renamed = existing !== undefined && existing.name !== group.name;
    const changed =
      created ||
      renamed ||
      before.length !== wanted.length ||
      before.some((id, index) => id !== wanted[index]);
    if (changed) {
      await writeAudit(trx, actor, {
        action: 'group.mirror',
        target: `group:${group.id}`,
        outcome: 'done',
        before: created ? null : { name: existing?.name ?? group.name, memberIds: before },
        after: {
          name: group.name,
          source: group.source,
          externalId: group.externalId,
          memberIds: wanted,
        },
      });
    }
    return { group: toView(group, wanted), changed };
  });
}

/**
 * Mirrors every platform's groups now, for `/kudos admin groups sync` and the HTTP API.
 * Only admins may; each platform reports what it did.
 */
export async function syncMirroredGroups(
  services: AdminServices,
  actor: AdminActor,
): Promise<Result<Array<{ platform: GroupMirror['platform'] } & MirrorReport>, AdminRefusalCode>> {
  const denied = await requireRole(services.db, actor, 'admin', 'sync groups', {
    action: 'group.mirror',
  });
  if (denied) return denied;
  const reports = [];
  for (const mirror of services.groupMirrors ?? []) {
    reports.push({ platform: mirror.platform, ...(await mirror.sync(actor)) });
  }
  return ok(reports);
}

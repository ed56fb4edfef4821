import { sql } from 'kysely';
import { ok, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import { violatedUniqueConstraint } from '../db/retry.ts';
import type { GroupSource } from '../db/tables.ts';
import { checkName, type DirectoryRefusalCode, directoryRefusal } from './refusals.ts';

export interface Group {
  readonly id: number;
  readonly organizationId: number;
  readonly name: string;
  /** `manual`: made by an admin; `slack` / `teams`: follows a user group or a team. */
  readonly source: GroupSource;
  /** The Slack user group id or Teams team id a mirrored group follows; null for manual ones. */
  readonly externalId: string | null;
}

const GROUP_COLUMNS = ['id', 'organization_id', 'name', 'source', 'external_id'] as const;

function toGroup(row: {
  id: number;
  organization_id: number;
  name: string;
  source: GroupSource;
  external_id: string | null;
}): Group {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    source: row.source,
    externalId: row.external_id,
  };
}

export async function createGroup(
  db: Database,
  organizationId: number,
  name: string,
): Promise<Result<Group, DirectoryRefusalCode>> {
  const badName = checkName('group', name);
  if (badName) return badName;
  try {
    const row = await db
      .insertInto('groups')
      .values({ organization_id: organizationId, name: name.trim() })
      .returning(GROUP_COLUMNS)
      .executeTakeFirstOrThrow();
    return ok(toGroup(row));
  } catch (error) {
    if (violatedUniqueConstraint(error) === 'groups_organization_id_name_key') {
      return directoryRefusal('group_taken', `There is already a group called ${name.trim()}.`);
    }
    throw error;
  }
}

/** Adds members to a group; members already in it stay once. */
export async function addGroupMembers(
  db: Database,
  group: Group,
  memberIds: readonly number[],
): Promise<void> {
  if (memberIds.length === 0) return;
  await db
    .insertInto('group_members')
    .values(
      [...new Set(memberIds)].map((memberId) => ({
        organization_id: group.organizationId,
        group_id: group.id,
        member_id: memberId,
      })),
    )
    .onConflict((conflict) => conflict.columns(['group_id', 'member_id']).doNothing())
    .execute();
}

/** Takes members out of a group; members not in it are ignored. */
export async function removeGroupMembers(
  db: Database,
  group: Group,
  memberIds: readonly number[],
): Promise<void> {
  if (memberIds.length === 0) return;
  await db
    .deleteFrom('group_members')
    .where('group_id', '=', group.id)
    .where('member_id', 'in', [...new Set(memberIds)])
    .execute();
}

export async function groupMemberIds(db: Database, group: Group): Promise<number[]> {
  const rows = await db
    .selectFrom('group_members')
    .select('member_id')
    .where('group_id', '=', group.id)
    .orderBy('member_id')
    .execute();
  return rows.map((row) => row.member_id);
}

/**
 * A group by its name: the exact name, or else the one group whose name differs only in
 * case (people type `sales emea` for “Sales EMEA”).
 */
export async function findGroupByName(
  db: Database,
  organizationId: number,
  name: string,
): Promise<Group | undefined> {
  const rows = await db
    .selectFrom('groups')
    .select(GROUP_COLUMNS)
    .where('organization_id', '=', organizationId)
    .where(sql<boolean>`lower(name) = lower(${name.trim()})`)
    .execute();
  const exact = rows.find((row) => row.name === name.trim());
  if (exact) return toGroup(exact);
  return rows.length === 1 && rows[0] ? toGroup(rows[0]) : undefined;
}

/** A group of the organization by id; locked until the transaction ends when asked. */
export async function findGroup(
  db: Database,
  organizationId: number,
  groupId: number,
  options: { forUpdate?: boolean } = {},
): Promise<Group | undefined> {
  let query = db
    .selectFrom('groups')
    .select(GROUP_COLUMNS)
    .where('organization_id', '=', organizationId)
    .where('id', '=', groupId);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toGroup(row);
}

/** Every group of the organization with its members' ids, by name. */
export async function listGroupsWithMembers(
  db: Database,
  organizationId: number,
): Promise<Array<Group & { memberIds: number[] }>> {
  const rows = await db
    .selectFrom('groups as g')
    .select([
      'g.id',
      'g.organization_id',
      'g.name',
      'g.source',
      'g.external_id',
      sql<number[]>`array(select gm.member_id from group_members gm
        where gm.group_id = g.id order by gm.member_id)`.as('member_ids'),
    ])
    .where('g.organization_id', '=', organizationId)
    .orderBy('g.name')
    .orderBy('g.id')
    .execute();
  return rows.map((row) => ({ ...toGroup(row), memberIds: row.member_ids.map(Number) }));
}

/** The ids among these that are members of the organization. */
export async function membersOfOrganization(
  db: Database,
  organizationId: number,
  memberIds: readonly number[],
): Promise<Set<number>> {
  if (memberIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('members')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('id', 'in', [...new Set(memberIds)])
    .execute();
  return new Set(rows.map((row) => row.id));
}

/** A group mirrored from a chat platform, as the platform names it. */
export interface MirroredGroupKey {
  readonly organizationId: number;
  readonly source: Exclude<GroupSource, 'manual'>;
  readonly externalId: string;
}

/** How a mirrored group is called when the platform's own name is another group's. */
function nameCandidates(key: MirroredGroupKey, name: string): string[] {
  const platform = key.source === 'slack' ? 'Slack' : 'Teams';
  const base = name.trim().slice(0, 150) || key.externalId;
  return [base, `${base} (${platform})`, `${base} (${platform} ${key.externalId})`.slice(0, 200)];
}

/**
 * The group that mirrors a Slack user group or Teams team, made on first sight and renamed
 * as the platform renames it, locked until the transaction ends. Group names are unique in
 * an organization: when the platform's name is taken (by a hand-made group, or a team of
 * the same name on the other platform) the platform's name is added to it.
 */
export async function lockMirroredGroup(
  trx: Database,
  key: MirroredGroupKey,
  name: string,
): Promise<{ group: Group; created: boolean }> {
  const candidates = nameCandidates(key, name);
  const existing = await findMirroredGroup(trx, key, { forUpdate: true });
  if (existing) {
    if (candidates.includes(existing.name)) return { group: existing, created: false };
    for (const candidate of candidates) {
      // Renamed only to a name no other group has; the last candidate is this group's own.
      const renamed = await trx
        .updateTable('groups')
        .set({ name: candidate })
        .where('id', '=', existing.id)
        .where(
          sql<boolean>`not exists (select 1 from groups other
            where other.organization_id = ${key.organizationId} and other.name = ${candidate})`,
        )
        .returning(GROUP_COLUMNS)
        .executeTakeFirst();
      if (renamed) return { group: toGroup(renamed), created: false };
    }
    return { group: existing, created: false };
  }
  for (const candidate of candidates) {
    // Whichever unique key a row already holds (the name, or this external id made by a
    // sync running at the same moment), nothing is inserted and the next step looks again.
    const inserted = await trx
      .insertInto('groups')
      .values({
        organization_id: key.organizationId,
        name: candidate,
        source: key.source,
        external_id: key.externalId,
      })
      .onConflict((conflict) => conflict.doNothing())
      .returning(GROUP_COLUMNS)
      .executeTakeFirst();
    if (inserted) return { group: toGroup(inserted), created: true };
    const raced = await findMirroredGroup(trx, key, { forUpdate: true });
    if (raced) return { group: raced, created: false };
  }
  throw new Error(`no free name for the ${key.source} group ${key.externalId}`);
}

export async function findMirroredGroup(
  db: Database,
  key: MirroredGroupKey,
  options: { forUpdate?: boolean } = {},
): Promise<Group | undefined> {
  let query = db
    .selectFrom('groups')
    .select(GROUP_COLUMNS)
    .where('organization_id', '=', key.organizationId)
    .where('source', '=', key.source)
    .where('external_id', '=', key.externalId);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toGroup(row);
}

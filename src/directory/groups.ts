import { ok, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import { violatedUniqueConstraint } from '../db/retry.ts';
import { checkName, type DirectoryRefusalCode, directoryRefusal } from './refusals.ts';

export interface Group {
  readonly id: number;
  readonly organizationId: number;
  readonly name: string;
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
      .returning(['id', 'organization_id', 'name'])
      .executeTakeFirstOrThrow();
    return ok({ id: row.id, organizationId: row.organization_id, name: row.name });
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

export async function groupMemberIds(db: Database, group: Group): Promise<number[]> {
  const rows = await db
    .selectFrom('group_members')
    .select('member_id')
    .where('group_id', '=', group.id)
    .orderBy('member_id')
    .execute();
  return rows.map((row) => row.member_id);
}

export async function findGroupByName(
  db: Database,
  organizationId: number,
  name: string,
): Promise<Group | undefined> {
  const row = await db
    .selectFrom('groups')
    .select(['id', 'organization_id', 'name'])
    .where('organization_id', '=', organizationId)
    .where('name', '=', name.trim())
    .executeTakeFirst();
  return row && { id: row.id, organizationId: row.organization_id, name: row.name };
}

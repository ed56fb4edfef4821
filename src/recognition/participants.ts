import type { PermissionRule } from '../core/permission-rule.ts';
import type { Database } from '../db/database.ts';
import type { Member } from '../directory/members.ts';
import type { Participant } from './give-policy.ts';
import type { RecognitionSettings } from './settings.ts';

const namesGroups = (rule: PermissionRule) =>
  rule.kind !== 'everyone' && (rule.groups?.length ?? 0) > 0;

/**
 * Members with the groups they belong to. Groups are looked up only when a permission
 * rule names one, so the common case costs no query.
 */
export async function toParticipants(
  db: Database,
  settings: RecognitionSettings,
  members: readonly Member[],
): Promise<Participant[]> {
  if (!namesGroups(settings.whoMayGive) && !namesGroups(settings.whoMayReceive)) {
    return members.map((member) => ({ member, groupIds: [] }));
  }
  const rows = await db
    .selectFrom('group_members')
    .select(['member_id', 'group_id'])
    .where(
      'member_id',
      'in',
      members.map((member) => member.id),
    )
    .execute();
  return members.map((member) => ({
    member,
    groupIds: rows.filter((row) => row.member_id === member.id).map((row) => row.group_id),
  }));
}

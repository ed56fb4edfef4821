import { ok, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import type { Platform } from '../db/tables.ts';
import { type DirectoryRefusalCode, directoryRefusal } from './refusals.ts';

/** A chat platform's user, as that platform names it: Slack team + user id, Teams tenant + AAD object id. */
export interface PlatformIdentity {
  readonly platform: Platform;
  readonly tenantId: string;
  readonly userId: string;
}

export interface MemberRef {
  readonly organizationId: number;
  readonly memberId: number;
}

/**
 * Links a platform identity to a member. Linking the same identity to the same member
 * again is a no-op; linking it to another member is refused (one identity, one member).
 */
export async function linkIdentity(
  db: Database,
  identity: PlatformIdentity,
  member: MemberRef,
): Promise<Result<MemberRef, DirectoryRefusalCode>> {
  const inserted = await db
    .insertInto('platform_identities')
    .values({
      platform: identity.platform,
      tenant_id: identity.tenantId,
      user_id: identity.userId,
      organization_id: member.organizationId,
      member_id: member.memberId,
    })
    .onConflict((conflict) => conflict.columns(['platform', 'tenant_id', 'user_id']).doNothing())
    .returning(['organization_id', 'member_id'])
    .executeTakeFirst();
  if (inserted) return ok(member);
  const existing = await findMemberByIdentity(db, identity);
  if (existing && existing.memberId === member.memberId) return ok(existing);
  return directoryRefusal(
    'identity_taken',
    `That ${identity.platform} user is already linked to another member.`,
  );
}

export async function findMemberByIdentity(
  db: Database,
  identity: PlatformIdentity,
): Promise<MemberRef | undefined> {
  const row = await db
    .selectFrom('platform_identities')
    .select(['organization_id', 'member_id'])
    .where('platform', '=', identity.platform)
    .where('tenant_id', '=', identity.tenantId)
    .where('user_id', '=', identity.userId)
    .executeTakeFirst();
  return row && { organizationId: row.organization_id, memberId: row.member_id };
}

/** Removes a platform identity's link to its member; the member and their ledger stay. */
export async function unlinkIdentity(db: Database, identity: PlatformIdentity): Promise<void> {
  await db
    .deleteFrom('platform_identities')
    .where('platform', '=', identity.platform)
    .where('tenant_id', '=', identity.tenantId)
    .where('user_id', '=', identity.userId)
    .execute();
}

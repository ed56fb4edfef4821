import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { MemberStatus } from '../db/tables.ts';
import {
  createMember,
  findIdentifiedMember,
  findMemberByEmail,
  type Member,
  type NewMember,
} from './members.ts';
import { findOrganization } from './organizations.ts';
import { isHomeConnected, OutsiderUser, type UserHome } from './outsiders.ts';
import { linkIdentity, type PlatformIdentity } from './platform-identities.ts';

/** What a chat platform says of a user the first time Plaudit sees them. */
export interface SightedUser extends NewMember {
  readonly status: MemberStatus;
  /** Where the platform says their account lives: only the organization's own become members. */
  readonly home: UserHome;
}

/**
 * What else comes with a person's first sight, in its transaction: the roles someone
 * named them for (PLAUDIT_INITIAL_ADMINS). Returns the member as they are after it.
 */
export type OnFirstSight = (trx: Database, member: Member) => Promise<Member>;

const nothingMore: OnFirstSight = async (_trx, member) => member;

/** Rolls back a first-sight member when another process linked the same identity first. */
class LinkedElsewhere extends Error {}

/**
 * The member a platform user is, made on first sight: an existing member of the
 * organization with the same email is joined (one person, one balance, whatever the
 * platform), otherwise a member is created; either way the identity is linked to them.
 * A user whose home is not an installation of the organization is an {@link OutsiderUser}:
 * an email is anyone's to type, so it joins identities only inside one organization.
 * Safe against a concurrent first sight of the same user in another process: the loser
 * rolls back and takes the winner's member. `onFirstSight` runs once the identity is
 * linked, in the same transaction.
 */
export async function memberOnFirstSight(
  db: Database,
  organizationId: number,
  identity: PlatformIdentity,
  user: SightedUser,
  onFirstSight: OnFirstSight = nothingMore,
  attempt = 0,
): Promise<Member> {
  if (!(await isHomeConnected(db, identity.platform, organizationId, user.home))) {
    const organization = await findOrganization(db, organizationId);
    throw new OutsiderUser(
      identity.platform,
      identity.userId,
      user.displayName,
      organization?.name ?? 'this organization',
    );
  }
  try {
    return await db.transaction().execute(async (trx) => {
      let member = user.email
        ? await findMemberByEmail(trx, organizationId, user.email)
        : undefined;
      if (!member) {
        const created = await createMember(trx, organizationId, user);
        // Someone added this email a moment ago (most likely this same user): theirs wins.
        if (!created.ok && created.code === 'email_taken') throw new LinkedElsewhere();
        if (!created.ok) {
          throw new Error(
            `cannot add ${identity.platform} user ${identity.userId}: ${created.message}`,
          );
        }
        member = created.value;
        if (user.status === 'deactivated') {
          await trx
            .updateTable('members')
            .set({ status: 'deactivated', deactivated_at: sql<Date>`now()` })
            .where('id', '=', member.id)
            .execute();
          member = { ...member, status: 'deactivated' };
        }
      }
      const link = await linkIdentity(trx, identity, { organizationId, memberId: member.id });
      if (!link.ok) throw new LinkedElsewhere();
      return onFirstSight(trx, member);
    });
  } catch (error) {
    if (!(error instanceof LinkedElsewhere)) throw error;
  }
  const member = await findIdentifiedMember(db, identity);
  if (member) return member;
  // The email is another member's who is not this user yet: join them, once.
  if (attempt === 0) return memberOnFirstSight(db, organizationId, identity, user, onFirstSight, 1);
  throw new Error(`${identity.platform} user ${identity.userId} could not be linked`);
}

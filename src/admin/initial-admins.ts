import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Member } from '../directory/members.ts';
import { grantAdminAsSystem } from './system-admin-grant.ts';

/**
 * The people PLAUDIT_INITIAL_ADMINS names, by email (lower-cased, as members' emails are
 * stored): each becomes admin of the organization they are in when Plaudit first sees
 * them, with the email their platform reports (Slack and Entra ID verify it), and anyone
 * already a member when a web process starts. Nobody else becomes admin by using Plaudit.
 */
export class InitialAdmins {
  readonly #emails: ReadonlySet<string>;

  constructor(emails: readonly string[]) {
    this.#emails = new Set(emails.map((email) => email.trim().toLowerCase()));
  }

  /** A member just seen for the first time, made admin in the same transaction when named. */
  readonly onFirstSight = async (trx: Database, member: Member): Promise<Member> => {
    if (!member.email || !this.#emails.has(member.email.toLowerCase())) return member;
    const roles = await grantAdminAsSystem(trx, member.organizationId, member.id, 'configuration');
    return roles ? { ...member, roles } : member;
  };

  /** Makes the named people who are members already admins (each grant audited once). */
  async grantPresent(db: Database): Promise<number> {
    if (this.#emails.size === 0) return 0;
    const named = await db
      .selectFrom('members')
      .select(['id', 'organization_id'])
      .where('email', 'in', [...this.#emails])
      .where(sql<boolean>`not ('admin' = any(roles))`)
      .orderBy('id')
      .execute();
    let granted = 0;
    for (const member of named) {
      const roles = await db
        .transaction()
        .execute((trx) =>
          grantAdminAsSystem(trx, member.organization_id, member.id, 'configuration'),
        );
      if (roles) granted += 1;
    }
    return granted;
  }
}

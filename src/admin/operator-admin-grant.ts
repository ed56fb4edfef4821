import { ok, type Refusal, type Result, refuse } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import type { MemberRole } from '../db/tables.ts';
import { grantAdminAsSystem } from './system-admin-grant.ts';

/** Why `npm run admin:grant` made nobody admin. */
export type OperatorGrantRefusalCode =
  | 'no_organization'
  | 'unknown_organization'
  | 'several_organizations'
  | 'unknown_email'
  | 'not_eligible';

export interface OperatorGrant {
  readonly organizationId: number;
  readonly organizationName: string;
  readonly memberId: number;
  readonly displayName: string;
  readonly roles: readonly MemberRole[];
  /** False when the member was admin already (nothing changed, nothing audited). */
  readonly granted: boolean;
}

const refusal = (
  code: OperatorGrantRefusalCode,
  message: string,
): Refusal<OperatorGrantRefusalCode> => refuse(code, message);

/** The organization a grant is for: the one named, or the only one there is. */
async function organizationOf(
  db: Database,
  organizationId: number | undefined,
): Promise<Result<{ id: number; name: string }, OperatorGrantRefusalCode>> {
  // A deployment has one organization, or a few: all of them are listed when asked which.
  const all = await db.selectFrom('organizations').select(['id', 'name']).orderBy('id').execute();
  if (organizationId !== undefined) {
    const named = all.find((organization) => organization.id === organizationId);
    return named
      ? ok(named)
      : refusal('unknown_organization', `There is no organization ${organizationId}.`);
  }
  const [only, ...others] = all;
  if (!only) {
    return refusal(
      'no_organization',
      'There is no organization yet: start Plaudit with Slack or Teams connected first.',
    );
  }
  if (others.length > 0) {
    const list = all.map((row) => `${row.id} (${row.name})`).join(', ');
    return refusal(
      'several_organizations',
      `There are several organizations (${list}): say which with --organization <id>.`,
    );
  }
  return ok(only);
}

/**
 * An operator's grant of admin to the member with an email, audited as the operator's (a
 * system actor). The member must have been seen already (have used Plaudit, been
 * mentioned, or come with a directory sync): the grant then names the person it made
 * admin, and a mistyped address makes nobody admin, then or later. Naming someone before
 * they are seen is what PLAUDIT_INITIAL_ADMINS is for.
 */
export async function grantAdminByEmail(
  db: Database,
  email: string,
  organizationId?: number,
): Promise<Result<OperatorGrant, OperatorGrantRefusalCode>> {
  const organization = await organizationOf(db, organizationId);
  if (!organization.ok) return organization;
  const { id, name } = organization.value;
  return db.transaction().execute(async (trx) => {
    const member = await trx
      .selectFrom('members')
      .select(['id', 'display_name', 'roles', 'status', 'is_bot', 'is_guest'])
      .where('organization_id', '=', id)
      .where('email', '=', email.trim().toLowerCase())
      .forNoKeyUpdate()
      .executeTakeFirst();
    if (!member) {
      return refusal(
        'unknown_email',
        `Nobody in ${name} has the email ${email} yet: ask them to use Plaudit once (or check the address), then grant again.`,
      );
    }
    const grant = {
      organizationId: id,
      organizationName: name,
      memberId: member.id,
      displayName: member.display_name,
    };
    if (member.roles.includes('admin'))
      return ok({ ...grant, roles: member.roles, granted: false });
    if (member.is_bot || member.is_guest || member.status !== 'active') {
      const what = member.is_bot ? 'a bot' : member.is_guest ? 'a guest' : 'deactivated';
      return refusal(
        'not_eligible',
        `${member.display_name} is ${what}; only active people of the organization can be admins.`,
      );
    }
    const roles = await grantAdminAsSystem(trx, id, member.id, 'operator');
    if (!roles) throw new Error(`member ${member.id} could not be made admin`);
    return ok({ ...grant, roles, granted: true });
  });
}

import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { MemberRole } from '../db/tables.ts';
import type { AdminActor } from './admin-actor.ts';
import { type AdminRefusal, adminRefusal } from './admin-refusals.ts';
import { writeAudit } from './audit-log.ts';

/** The role an action needs: admins shape the program, HR runs the rewards. */
export type ActingRole = Extract<MemberRole, 'admin' | 'hr'>;

export interface Attempt {
  /** The audit action the actor tried, e.g. `settings.change`. */
  readonly action: string;
  readonly target?: string | null;
  /** What the actor wanted, kept in the refused entry's `after`. */
  readonly wanted?: unknown;
}

/** The refusal an actor without the role gets, in words that say who can help. */
export function missingRole(role: ActingRole, what: string): AdminRefusal {
  return role === 'admin'
    ? adminRefusal('not_admin', `Only admins can ${what}; ask an admin if this needs doing.`)
    : adminRefusal(
        'not_hr',
        `Only HR can ${what}; ask someone in HR, or an admin to give you the HR role.`,
      );
}

/**
 * The refusal of an admin action in an organization that has no admin yet: nobody can be
 * asked, so it says how the first one is named (by whoever runs Plaudit).
 */
export function noAdminYet(what: string): AdminRefusal {
  return adminRefusal(
    'not_admin',
    `Only admins can ${what}, and nobody is admin here yet: whoever runs Plaudit names the first (PLAUDIT_INITIAL_ADMINS, or npm run admin:grant -- their email).`,
  );
}

/** Whether an organization has an admin who can act (not a leaver or a bot). */
async function hasAdmin(db: Database, organizationId: number): Promise<boolean> {
  const admin = await db
    .selectFrom('members')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where(sql<boolean>`'admin' = any(roles)`)
    .where('status', '=', 'active')
    .where('is_bot', '=', false)
    .executeTakeFirst();
  return admin !== undefined;
}

/**
 * Lets an actor with the role through (undefined); anyone else gets a refusal, and the
 * attempt is written to the audit log as refused, so admins see who tried what.
 */
export async function requireRole(
  db: Database,
  actor: AdminActor,
  role: ActingRole,
  what: string,
  attempt: Attempt,
): Promise<AdminRefusal | undefined> {
  if (actor.roles.includes(role)) return undefined;
  const refusal =
    role === 'admin' && !(await hasAdmin(db, actor.organizationId))
      ? noAdminYet(what)
      : missingRole(role, what);
  await writeAudit(db, actor, {
    action: attempt.action,
    target: attempt.target ?? null,
    outcome: 'refused',
    refusalCode: refusal.code,
    after: attempt.wanted,
  });
  return refusal;
}

import { type PermissionRule, toPermissionRule } from '../core/permission-rule.ts';
import { ok, RefusalAbort, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import type { MemberRole } from '../db/tables.ts';
import { requireRole } from './access.ts';
import type { AdminActor } from './admin-actor.ts';
import { type AdminRefusalCode, adminRefusal } from './admin-refusals.ts';
import type { AdminServices } from './admin-services.ts';
import { writeAudit } from './audit-log.ts';
import { ROLES } from './roles.ts';

/** Who may give recognition and who may receive it. */
export interface PermissionRules {
  give: PermissionRule;
  receive: PermissionRule;
}

const COLUMN = { give: 'who_may_give', receive: 'who_may_receive' } as const;

/** The organization's rules; everyone may do both until an admin says otherwise. */
export async function readPermissionRules(
  db: Database,
  organizationId: number,
): Promise<PermissionRules> {
  const row = await db
    .selectFrom('recognition_settings')
    .select(['who_may_give', 'who_may_receive'])
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  return {
    give: row ? toPermissionRule(row.who_may_give) : { kind: 'everyone' },
    receive: row ? toPermissionRule(row.who_may_receive) : { kind: 'everyone' },
  };
}

/**
 * A rule in the one form it is stored and compared in: each list without repeats, in
 * order, and left out when empty.
 */
export function normalRule(rule: PermissionRule): PermissionRule {
  if (rule.kind === 'everyone') return { kind: 'everyone' };
  const ids = (list: readonly number[] | undefined) =>
    [...new Set(list ?? [])].sort((a, b) => a - b);
  const members = ids(rule.members);
  const groups = ids(rule.groups);
  const roles = ROLES.filter((role) => (rule.roles ?? []).includes(role));
  return {
    kind: rule.kind,
    ...(members.length > 0 && { members }),
    ...(groups.length > 0 && { groups }),
    ...(roles.length > 0 && { roles }),
  };
}

/** Whatever is wrong with a rule's shape, one sentence each; empty when nothing is. */
export function ruleShapeProblems(rule: PermissionRule): string[] {
  const problems: string[] = [];
  const value = rule as { kind?: unknown; members?: unknown; groups?: unknown; roles?: unknown };
  if (value.kind === 'everyone') return problems;
  if (value.kind !== 'only' && value.kind !== 'everyone_except') {
    return [
      `A rule is everyone, only or everyone_except; “${String(value.kind)}” is none of those.`,
    ];
  }
  for (const [list, noun] of [
    [value.members, 'member'],
    [value.groups, 'group'],
  ] as const) {
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((id) => Number.isSafeInteger(id) && id > 0)) {
      problems.push(`A rule names each ${noun} by its id, a whole number.`);
    }
  }
  if (value.roles !== undefined) {
    if (!Array.isArray(value.roles)) problems.push('A rule lists roles by name.');
    else {
      for (const role of value.roles) {
        if (!(ROLES as readonly unknown[]).includes(role)) {
          problems.push(`“${String(role)}” is not a role; roles are member, admin and hr.`);
        }
      }
    }
  }
  return problems;
}

/**
 * Sets who may give or who may receive. The members and groups it names must be the
 * organization's; the change and its audit entry commit together, and it holds at once.
 */
export function setPermissionRule(
  services: AdminServices,
  actor: AdminActor,
  which: 'give' | 'receive',
  rule: PermissionRule,
): Promise<Result<PermissionRule, AdminRefusalCode>> {
  return changePermissionRule(services, actor, which, rule, () => rule);
}

/**
 * Changes a rule by what it is now, with the rule locked, so two admins changing it at
 * once both have their way (`deny` adds to the list that is there when it runs).
 * `wanted` is what the audit log keeps of a refused attempt.
 */
export async function changePermissionRule(
  services: AdminServices,
  actor: AdminActor,
  which: 'give' | 'receive',
  wanted: unknown,
  next: (current: PermissionRule) => PermissionRule,
): Promise<Result<PermissionRule, AdminRefusalCode>> {
  const { db } = services;
  const organizationId = actor.organizationId;
  const target = `rule:${which}`;
  const denied = await requireRole(db, actor, 'admin', `change who may ${which} kudos`, {
    action: 'rule.set',
    target,
    wanted,
  });
  if (denied) return denied;
  let changed: PermissionRule;
  try {
    changed = await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('recognition_settings')
        .values({ organization_id: organizationId })
        .onConflict((conflict) => conflict.column('organization_id').doNothing())
        .execute();
      const row = await trx
        .selectFrom('recognition_settings')
        .select(COLUMN[which])
        .where('organization_id', '=', organizationId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const before = normalRule(toPermissionRule(row[COLUMN[which]]));
      const wantedRule = next(before);
      const problems = ruleShapeProblems(wantedRule);
      if (problems.length > 0) {
        throw new RefusalAbort(adminRefusal('invalid_rule', problems.join(' ')));
      }
      const after = normalRule(wantedRule);
      if (after.kind !== 'everyone') await checkSubjects(trx, organizationId, after);
      if (JSON.stringify(before) === JSON.stringify(after)) return before;
      await trx
        .updateTable('recognition_settings')
        .set({ [COLUMN[which]]: JSON.stringify(after) })
        .where('organization_id', '=', organizationId)
        .execute();
      await writeAudit(trx, actor, { action: 'rule.set', target, outcome: 'done', before, after });
      return after;
    });
  } catch (error) {
    if (error instanceof RefusalAbort) return error.refusal;
    throw error;
  }
  services.settings.invalidate(organizationId);
  return ok(changed);
}

/** Refuses (by throwing, to roll back) a rule naming members or groups of no such id here. */
async function checkSubjects(
  trx: Database,
  organizationId: number,
  rule: { members?: readonly number[]; groups?: readonly number[]; roles?: readonly MemberRole[] },
): Promise<void> {
  const members = rule.members ?? [];
  const groups = rule.groups ?? [];
  const foundMembers =
    members.length === 0
      ? []
      : await trx
          .selectFrom('members')
          .select('id')
          .where('organization_id', '=', organizationId)
          .where('id', 'in', [...members])
          .execute();
  const foundGroups =
    groups.length === 0
      ? []
      : await trx
          .selectFrom('groups')
          .select('id')
          .where('organization_id', '=', organizationId)
          .where('id', 'in', [...groups])
          .execute();
  const missingMembers = members.filter((id) => !foundMembers.some((row) => row.id === id));
  const missingGroups = groups.filter((id) => !foundGroups.some((row) => row.id === id));
  if (missingMembers.length > 0) {
    throw new RefusalAbort(
      adminRefusal('unknown_member', `There is no member ${missingMembers.join(', ')} here.`),
    );
  }
  if (missingGroups.length > 0) {
    throw new RefusalAbort(
      adminRefusal('unknown_group', `There is no group ${missingGroups.join(', ')} here.`),
    );
  }
}

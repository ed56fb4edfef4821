import type { MemberRole } from '../db/tables.ts';

/** Who may do something: everyone, only the listed, or everyone but the listed. */
export type PermissionRule =
  | { readonly kind: 'everyone' }
  | ({ readonly kind: 'only' | 'everyone_except' } & PermissionSubjects);

export interface PermissionSubjects {
  readonly members?: readonly number[];
  readonly groups?: readonly number[];
  readonly roles?: readonly MemberRole[];
}

export interface PermissionSubject {
  readonly memberId: number;
  readonly roles: readonly MemberRole[];
  readonly groupIds: readonly number[];
}

function isListed(rule: PermissionSubjects, subject: PermissionSubject): boolean {
  return (
    (rule.members ?? []).includes(subject.memberId) ||
    (rule.groups ?? []).some((group) => subject.groupIds.includes(group)) ||
    (rule.roles ?? []).some((role) => subject.roles.includes(role))
  );
}

export function isPermitted(rule: PermissionRule, subject: PermissionSubject): boolean {
  switch (rule.kind) {
    case 'everyone':
      return true;
    case 'only':
      return isListed(rule, subject);
    case 'everyone_except':
      return !isListed(rule, subject);
  }
}

/** A rule read from storage; anything unrecognized is treated as the safest reading. */
export function toPermissionRule(json: unknown): PermissionRule {
  const value = (json ?? {}) as { kind?: unknown } & PermissionSubjects;
  if (value.kind === 'only' || value.kind === 'everyone_except') {
    return { kind: value.kind, members: value.members, groups: value.groups, roles: value.roles };
  }
  if (value.kind === 'everyone') return { kind: 'everyone' };
  return { kind: 'only' };
}

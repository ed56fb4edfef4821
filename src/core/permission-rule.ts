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

const ROLES: readonly MemberRole[] = ['member', 'admin', 'hr'];

const isIdList = (value: unknown) =>
  value === undefined ||
  (Array.isArray(value) && value.every((id) => Number.isSafeInteger(id) && id > 0));

const isRoleList = (value: unknown) =>
  value === undefined || (Array.isArray(value) && value.every((role) => ROLES.includes(role)));

/**
 * A rule read from storage. Anything malformed, at any depth, reads as the safest rule:
 * `only` with nobody listed, which permits nobody.
 */
export function toPermissionRule(json: unknown): PermissionRule {
  const value = (json ?? {}) as {
    kind?: unknown;
    members?: unknown;
    groups?: unknown;
    roles?: unknown;
  };
  if (value.kind === 'everyone') return { kind: 'everyone' };
  if (
    (value.kind === 'only' || value.kind === 'everyone_except') &&
    isIdList(value.members) &&
    isIdList(value.groups) &&
    isRoleList(value.roles)
  ) {
    return {
      kind: value.kind,
      members: value.members as number[] | undefined,
      groups: value.groups as number[] | undefined,
      roles: value.roles as MemberRole[] | undefined,
    };
  }
  return { kind: 'only' };
}

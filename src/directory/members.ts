import { sql } from 'kysely';
import { ok, type Result } from '../core/result.ts';
import { compiledQuery } from '../db/compiled-query.ts';
import type { Database } from '../db/database.ts';
import { violatedUniqueConstraint } from '../db/retry.ts';
import type { MemberRole, MemberStatus, Platform } from '../db/tables.ts';
import { isTimeZone } from './organizations.ts';
import { checkName, type DirectoryRefusalCode, directoryRefusal } from './refusals.ts';

export interface Member {
  readonly id: number;
  readonly organizationId: number;
  readonly displayName: string;
  readonly email: string | null;
  readonly roles: readonly MemberRole[];
  readonly status: MemberStatus;
  readonly isGuest: boolean;
  readonly isBot: boolean;
  /** The member's own time zone, when their chat platform reports one. */
  readonly timezone: string | null;
  /** When the member was added to the organization. */
  readonly joinedAt: Date;
}

export interface NewMember {
  readonly displayName: string;
  readonly email?: string | null;
  /** @defaultValue ['member'] */
  readonly roles?: readonly MemberRole[];
  /** @defaultValue false */
  readonly isGuest?: boolean;
  /** @defaultValue false */
  readonly isBot?: boolean;
  /** An IANA zone; an unknown one is dropped. @defaultValue null */
  readonly timezone?: string | null;
}

/** The columns of a member's row, as {@link MemberRow} holds them. */
export const MEMBER_COLUMNS = [
  'id',
  'organization_id',
  'display_name',
  'email',
  'roles',
  'status',
  'is_guest',
  'is_bot',
  'timezone',
  'created_at',
] as const;

/** A member as the `members` table holds it. */
export interface MemberRow {
  id: number;
  organization_id: number;
  display_name: string;
  email: string | null;
  roles: MemberRole[];
  status: MemberStatus;
  is_guest: boolean;
  is_bot: boolean;
  timezone: string | null;
  created_at: Date;
}

export function toMember(row: MemberRow): Member {
  return {
    id: row.id,
    organizationId: row.organization_id,
    displayName: row.display_name,
    email: row.email,
    roles: row.roles,
    status: row.status,
    isGuest: row.is_guest,
    isBot: row.is_bot,
    timezone: row.timezone,
    joinedAt: row.created_at,
  };
}

/**
 * A member's columns of the table aliased `alias`, each named `<prefix><column>`: for a
 * statement that reads members beside other rows (a chat request's people, with its
 * workspace or tenant). {@link prefixedMember} reads them back.
 */
export function prefixedMemberColumns(alias: string, prefix: string): string {
  return MEMBER_COLUMNS.map((column) => `${alias}.${column} as ${prefix}${column}`).join(', ');
}

/** The member a row's {@link prefixedMemberColumns} hold; undefined when they are null. */
export function prefixedMember(row: Record<string, unknown>, prefix: string): Member | undefined {
  if (row[`${prefix}id`] === null || row[`${prefix}id`] === undefined) return undefined;
  return toMember(
    Object.fromEntries(
      MEMBER_COLUMNS.map((column) => [column, row[`${prefix}${column}`]]),
    ) as unknown as MemberRow,
  );
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Whether text is an email address as a member's is stored (any script: `josé@…` too). */
export function isEmailAddress(text: string): boolean {
  return EMAIL.test(text);
}

export async function createMember(
  db: Database,
  organizationId: number,
  input: NewMember,
): Promise<Result<Member, DirectoryRefusalCode>> {
  const badName = checkName('member', input.displayName);
  if (badName) return badName;
  const email = input.email?.trim().toLowerCase() || null;
  if (email !== null && !isEmailAddress(email)) {
    return directoryRefusal('invalid_email', `${JSON.stringify(email)} is not an email address.`);
  }
  try {
    const row = await db
      .insertInto('members')
      .values({
        organization_id: organizationId,
        display_name: input.displayName.trim(),
        email,
        roles: [...new Set<MemberRole>(input.roles ?? ['member'])],
        is_guest: input.isGuest ?? false,
        is_bot: input.isBot ?? false,
        timezone: input.timezone && isTimeZone(input.timezone) ? input.timezone : null,
      })
      .returning(MEMBER_COLUMNS)
      .executeTakeFirstOrThrow();
    return ok(toMember(row));
  } catch (error) {
    if (violatedUniqueConstraint(error) === 'members_email_per_organization') {
      return directoryRefusal('email_taken', `Another member of this organization has ${email}.`);
    }
    throw error;
  }
}

export async function findMember(
  db: Database,
  organizationId: number,
  memberId: number,
): Promise<Member | undefined> {
  const row = await db
    .selectFrom('members')
    .select(MEMBER_COLUMNS)
    .where('organization_id', '=', organizationId)
    .where('id', '=', memberId)
    .executeTakeFirst();
  return row && toMember(row);
}

/** Every member of an organization, in id order. */
export async function listMembers(db: Database, organizationId: number): Promise<Member[]> {
  const rows = await db
    .selectFrom('members')
    .select(MEMBER_COLUMNS)
    .where('organization_id', '=', organizationId)
    .orderBy('id')
    .execute();
  return rows.map(toMember);
}

/** The member a platform identity is linked to, in one query. */
/** Read for the person behind every chat command and each person it names: compiled once. */
const memberByIdentity = compiledQuery((db, platform: Platform, tenantId: string, userId: string) =>
  db
    .selectFrom('platform_identities as p')
    .innerJoin('members as m', 'm.id', 'p.member_id')
    .select(MEMBER_COLUMNS.map((column) => `m.${column}` as const))
    .where('p.platform', '=', platform)
    .where('p.tenant_id', '=', tenantId)
    .where('p.user_id', '=', userId),
);

export async function findIdentifiedMember(
  db: Database,
  identity: { platform: Platform; tenantId: string; userId: string },
): Promise<Member | undefined> {
  const [row] = await memberByIdentity(db, identity.platform, identity.tenantId, identity.userId);
  return row && toMember(row);
}

export async function findMemberByEmail(
  db: Database,
  organizationId: number,
  email: string,
): Promise<Member | undefined> {
  const row = await db
    .selectFrom('members')
    .select(MEMBER_COLUMNS)
    .where('organization_id', '=', organizationId)
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
  return row && toMember(row);
}

/** Sets a member's status and keeps the day they left, which starts their leaver window. */
function statusColumns(status: MemberStatus) {
  return {
    status,
    // Deactivating someone already gone keeps the day they left.
    deactivated_at: status === 'deactivated' ? sql<Date>`coalesce(deactivated_at, now())` : null,
  };
}

/** What a chat platform's directory says of a person now. */
export interface PlatformRecord {
  readonly displayName: string;
  /** Null when the platform does not tell it: the stored one is kept. */
  readonly email: string | null;
  readonly status: MemberStatus;
  readonly isGuest: boolean;
  readonly isBot: boolean;
  readonly timezone: string | null;
}

/** How a refresh went: the email is kept when another member of the organization has it. */
export type RecordApplied = 'applied' | 'email_taken';

/**
 * Brings a member in line with their platform record: name, email, guest and bot flags,
 * time zone, and deactivation (at once: the status is what giving checks). An email
 * another member already has is left as it was; the rest is still applied.
 */
export async function applyPlatformRecord(
  db: Database,
  member: Member,
  record: PlatformRecord,
): Promise<RecordApplied> {
  const email = record.email?.trim().toLowerCase() || null;
  const columns = {
    ...(checkName('member', record.displayName) ? {} : { display_name: record.displayName.trim() }),
    ...statusColumns(record.status),
    is_guest: record.isGuest,
    is_bot: record.isBot,
    ...(record.timezone && isTimeZone(record.timezone) ? { timezone: record.timezone } : {}),
  };
  const update = (set: typeof columns & { email?: string }) =>
    db.updateTable('members').set(set).where('id', '=', member.id).execute();
  if (email === null || email === member.email || !isEmailAddress(email)) {
    await update(columns);
    return 'applied';
  }
  try {
    await update({ ...columns, email });
    return 'applied';
  } catch (error) {
    if (violatedUniqueConstraint(error) !== 'members_email_per_organization') throw error;
    await update(columns);
    return 'email_taken';
  }
}

export async function setMemberStatus(
  db: Database,
  organizationId: number,
  memberId: number,
  status: MemberStatus,
): Promise<Result<Member, DirectoryRefusalCode>> {
  const row = await db
    .updateTable('members')
    .set(statusColumns(status))
    .where('organization_id', '=', organizationId)
    .where('id', '=', memberId)
    .returning(MEMBER_COLUMNS)
    .executeTakeFirst();
  return row ? ok(toMember(row)) : directoryRefusal('not_found', `There is no member ${memberId}.`);
}

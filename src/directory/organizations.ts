import { ok, type Result } from '../core/result.ts';
import type { Database } from '../db/database.ts';
import { checkName, type DirectoryRefusalCode, directoryRefusal } from './refusals.ts';

export interface Organization {
  readonly id: number;
  readonly name: string;
  readonly timezone: string;
  readonly currency: string;
}

export interface NewOrganization {
  readonly name: string;
  /** An IANA time zone, such as Europe/Lisbon; decides when allowance periods start. */
  readonly timezone: string;
  /** An ISO 4217 code, such as EUR; rewards are billed in it. */
  readonly currency: string;
}

export function isTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return timezone.length > 0;
  } catch {
    return false;
  }
}

export async function createOrganization(
  db: Database,
  input: NewOrganization,
): Promise<Result<Organization, DirectoryRefusalCode>> {
  const badName = checkName('organization', input.name);
  if (badName) return badName;
  if (!isTimeZone(input.timezone)) {
    return directoryRefusal(
      'invalid_timezone',
      `${JSON.stringify(input.timezone)} is not a time zone; use an IANA name such as Europe/Lisbon.`,
    );
  }
  if (!/^[A-Z]{3}$/.test(input.currency)) {
    return directoryRefusal(
      'invalid_currency',
      `${JSON.stringify(input.currency)} is not a currency code; use three capitals such as EUR.`,
    );
  }
  const row = await db
    .insertInto('organizations')
    .values({ name: input.name.trim(), timezone: input.timezone, currency: input.currency })
    .returning(['id', 'name', 'timezone', 'currency'])
    .executeTakeFirstOrThrow();
  return ok(row);
}

export async function findOrganization(
  db: Database,
  id: number,
): Promise<Organization | undefined> {
  return db
    .selectFrom('organizations')
    .select(['id', 'name', 'timezone', 'currency'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/**
 * The organization a chat platform gets when it is connected first: UTC and USD until an
 * admin changes them. Returns its id.
 */
export async function createConnectedOrganization(db: Database, name: string): Promise<number> {
  const created = await createOrganization(db, { name, timezone: 'UTC', currency: 'USD' });
  if (!created.ok) throw new Error(created.message);
  return created.value.id;
}

import { sql } from 'kysely';
import type { Database } from '../../db/database.ts';

/**
 * Rolls an organization's kudos up through the day before its local today
 * (migrations/0027), from where its roll-ups are still right; returns the local day they
 * now reach. Safe at any time and as often as wanted: the insights read the roll-ups only
 * as far as they are right, and the day rows for the rest.
 */
export async function rollUpKudos(db: Database, organizationId: number): Promise<string> {
  const { rows } = await sql<{ through: string }>`
    select to_char(kudos_rollup_refresh(id, (now() at time zone timezone)::date - 1),
      'YYYY-MM-DD') as through
    from organizations where id = ${organizationId}`.execute(db);
  const row = rows[0];
  if (!row) throw new Error(`no organization ${organizationId}`);
  return row.through;
}

/** Every organization's roll-ups, one organization (one transaction) at a time. */
export async function rollUpAllKudos(db: Database): Promise<{ organizations: number }> {
  const organizations = await db.selectFrom('organizations').select('id').orderBy('id').execute();
  for (const { id } of organizations) await rollUpKudos(db, id);
  return { organizations: organizations.length };
}

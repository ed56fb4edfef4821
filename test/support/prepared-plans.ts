import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';

/**
 * The plans Postgres made for the values (custom) and the plans it kept for all values
 * (generic) while `read` ran 12 times, for the prepared statements whose text holds
 * `statement`. On one connection: prepared statements and their plans are a connection's
 * own. Postgres plans a prepared statement for its values five times, then keeps the
 * generic plan when it costs no more than those: from the sixth run on, no planning.
 */
export async function preparedPlans(
  db: Database,
  statement: string,
  read: (connection: Database) => Promise<void>,
): Promise<{ custom: number; generic: number }> {
  return db.connection().execute(async (connection) => {
    const counts = async () =>
      (
        await sql<{ generic: string; custom: string }>`
          select coalesce(sum(generic_plans), 0) as generic,
            coalesce(sum(custom_plans), 0) as custom
          from pg_prepared_statements where statement like ${`%${statement}%`}`.execute(connection)
      ).rows[0];
    const before = await counts();
    for (let n = 0; n < 12; n++) await read(connection as unknown as Database);
    const after = await counts();
    return {
      generic: Number(after?.generic) - Number(before?.generic),
      custom: Number(after?.custom) - Number(before?.custom),
    };
  });
}

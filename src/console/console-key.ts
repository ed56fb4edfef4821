import { randomSecret } from '../core/secrets.ts';
import type { Database } from '../db/database.ts';

/**
 * The key that signs the console's cookies and form tokens: CONSOLE_SECRET when set, else
 * one made at the first start and kept in the database, so every web process (and every
 * restart) signs with the same key without the operator having to make one.
 */
export async function consoleSigningKey(db: Database, configured?: string): Promise<string> {
  if (configured) return configured;
  await db
    .insertInto('console_signing_key')
    .values({ id: 1, key: randomSecret() })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
  const row = await db
    .selectFrom('console_signing_key')
    .select('key')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return row.key;
}

import { inject } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

/** The two databases Plaudit runs on; tests that hold for both loop over these. */
export const DIALECTS = ['postgres', 'pglite'] as const;
export type Dialect = (typeof DIALECTS)[number];

/**
 * Postgres: the run's migrated database, shared by all files (tests isolate themselves by
 * organization). PGlite: a new in-memory database per call, migrated.
 */
export async function openTestDatabase(dialect: Dialect): Promise<Database> {
  if (dialect === 'postgres') return openDatabase({ url: inject('databaseUrl'), poolSize: 24 });
  const db = await openDatabase({ dataDir: 'memory://' });
  await migrateToLatest(db);
  return db;
}

import { readFile } from 'node:fs/promises';
import { inject } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

/** The two databases Plaudit runs on; tests that hold for both loop over these. */
export const DIALECTS = ['postgres', 'pglite'] as const;
export type Dialect = (typeof DIALECTS)[number];

let template: Promise<Blob> | undefined;

/**
 * Postgres: the run's migrated database, shared by all files (tests isolate themselves by
 * organization). PGlite: a new in-memory database per call, a copy of the run's migrated
 * template (global-setup.ts), then brought to the newest schema (which finds it there).
 * The migrations themselves, from an empty database, are test/integration/db's.
 */
export async function openTestDatabase(dialect: Dialect): Promise<Database> {
  if (dialect === 'postgres') return openDatabase({ url: inject('databaseUrl'), poolSize: 24 });
  template ??= readFile(inject('pgliteTemplate')).then((bytes) => new Blob([bytes]));
  const db = await openDatabase({ dataDir: 'memory://', loadDataDir: await template });
  await migrateToLatest(db);
  return db;
}

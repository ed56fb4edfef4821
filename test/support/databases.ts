import { readFile } from 'node:fs/promises';
import { inject } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

/** The two databases Plaudit runs on; tests that hold for both loop over these. */
export const DIALECTS = ['postgres', 'pglite'] as const;
export type Dialect = (typeof DIALECTS)[number];

let template: Promise<Blob> | undefined;

/** The run's migrated PGlite database, as a tarball (read once per test file). */
function pgliteTemplate(): Promise<Blob> {
  template ??= readFile(inject('pgliteTemplate')).then((bytes) => new Blob([bytes]));
  return template;
}

/**
 * Makes an embedded database in the folder `dataDir` (which must not exist yet) as a
 * Plaudit that started there once would have left it, migrated and empty: for tests of
 * the embedded mode that are not about creating the database (test/e2e/server-start.ts is).
 */
export async function migratedDataFolder(dataDir: string): Promise<void> {
  await (await openMigratedDataFolder(dataDir)).destroy();
}

/**
 * {@link migratedDataFolder}, left open: for a test that fills the folder before a process
 * opens it, without closing and opening it again in between (a second of PGlite each).
 */
export async function openMigratedDataFolder(dataDir: string): Promise<Database> {
  return openDatabase({ dataDir, loadDataDir: await pgliteTemplate() });
}

/**
 * Postgres: the run's migrated database, shared by all files (tests isolate themselves by
 * organization). PGlite: a new in-memory database per call, a copy of the run's migrated
 * template (global-setup.ts), then brought to the newest schema (which finds it there).
 * The migrations themselves, from an empty database, are test/integration/db's.
 */
export async function openTestDatabase(dialect: Dialect): Promise<Database> {
  if (dialect === 'postgres') return openDatabase({ url: inject('databaseUrl'), poolSize: 24 });
  const db = await openDatabase({ dataDir: 'memory://', loadDataDir: await pgliteTemplate() });
  await migrateToLatest(db);
  return db;
}

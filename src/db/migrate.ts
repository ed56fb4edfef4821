import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Kysely, type Migration, Migrator } from 'kysely';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Every numbered migration file (`0001_name.ts`) in `migrations/`, by name. */
export async function loadMigrations(folder = MIGRATIONS_DIR): Promise<Record<string, Migration>> {
  const files = (await readdir(folder)).filter((file) => /^\d{4}_[\w-]+\.ts$/.test(file)).sort();
  const migrations: Record<string, Migration> = {};
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(folder, file)).href)) as Migration;
    migrations[file.replace(/\.ts$/, '')] = module;
  }
  return migrations;
}

export function createMigrator<DB>(db: Kysely<DB>, folder = MIGRATIONS_DIR): Migrator {
  return new Migrator({ db, provider: { getMigrations: () => loadMigrations(folder) } });
}

/** Brings the schema to the newest migration; throws naming the migration that failed. */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  folder = MIGRATIONS_DIR,
): Promise<string[]> {
  const { error, results } = await createMigrator(db, folder).migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    const where = failed ? ` in ${failed.migrationName}` : '';
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration failed${where}: ${reason}`, { cause: error });
  }
  return (results ?? []).map((result) => result.migrationName);
}

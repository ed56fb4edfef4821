import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Kysely, type Migration, Migrator, sql } from 'kysely';

/**
 * Run from source (tsx: dev, tests) this module is src/db/migrate.ts and the migrations are
 * migrations/*.ts; run from the build it is bundled into a file at dist/'s top level, and
 * `npm run build` compiles the migrations beside it, to dist/migrations/*.js. Either way a
 * migration is named by its file name without the extension, so both apply the same ones.
 */
const COMPILED = import.meta.url.endsWith('.js');
const MIGRATIONS_DIR = fileURLToPath(
  new URL(COMPILED ? './migrations/' : '../../migrations/', import.meta.url),
);
const MIGRATION_FILE = COMPILED ? /^(\d{4}_[\w-]+)\.js$/ : /^(\d{4}_[\w-]+)\.ts$/;

/** Every numbered migration file (`0001_name.ts`, or `.js` when built) in `migrations/`, by name. */
export async function loadMigrations(folder = MIGRATIONS_DIR): Promise<Record<string, Migration>> {
  const files = (await readdir(folder)).filter((file) => MIGRATION_FILE.test(file)).sort();
  const migrations: Record<string, Migration> = {};
  for (const file of files) {
    const name = MIGRATION_FILE.exec(file)?.[1] as string;
    migrations[name] = (await import(pathToFileURL(path.join(folder, file)).href)) as Migration;
  }
  return migrations;
}

/** Told the name of each migration as it starts to apply (not of those applied before). */
export type OnMigrating = (name: string) => void;

/** The migrations, each telling `onMigrating` when its `up` starts. */
function announced(
  migrations: Record<string, Migration>,
  onMigrating: OnMigrating,
): Record<string, Migration> {
  return Object.fromEntries(
    Object.entries(migrations).map(([name, migration]) => [
      name,
      {
        ...migration,
        up: (db: Kysely<unknown>) => {
          onMigrating(name);
          return migration.up(db);
        },
      },
    ]),
  );
}

/** A Migrator over the migrations `load` gives, each announced as it starts. */
function migrator<DB>(
  db: Kysely<DB>,
  load: () => Promise<Record<string, Migration>>,
  onMigrating: OnMigrating,
): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => announced(await load(), onMigrating) },
  });
}

export function createMigrator<DB>(
  db: Kysely<DB>,
  folder = MIGRATIONS_DIR,
  onMigrating: OnMigrating = () => {},
): Migrator {
  return migrator(db, () => loadMigrations(folder), onMigrating);
}

/**
 * Whether the database has applied exactly these migrations, read in two plain queries.
 * Kysely's Migrator finds that out too, but through catalog introspection and its lock
 * table: a third of a second on PGlite at every start, for nothing to do. Anything else
 * (a new database, migrations to apply, some unknown here) is left to the Migrator.
 */
async function appliedExactly<DB>(db: Kysely<DB>, names: readonly string[]): Promise<boolean> {
  const { rows: tables } = await sql<{ found: boolean }>`
    select to_regclass('kysely_migration') is not null as found`.execute(db);
  if (!tables[0]?.found) return false;
  const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
  const applied = new Set(rows.map((row) => row.name));
  return applied.size === names.length && names.every((name) => applied.has(name));
}

/**
 * Brings the schema to the newest migration; throws naming the migration that failed.
 * `onMigrating` hears of each as it starts, so a process can say what it is waiting on.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  onMigrating?: OnMigrating,
  folder = MIGRATIONS_DIR,
): Promise<string[]> {
  // Read once: the up-to-date check and the Migrator share them.
  const migrations = await loadMigrations(folder);
  if (await appliedExactly(db, Object.keys(migrations))) return [];
  const { error, results } = await migrator(
    db,
    async () => migrations,
    onMigrating ?? (() => {}),
  ).migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    const where = failed ? ` in ${failed.migrationName}` : '';
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration failed${where}: ${reason}`, { cause: error });
  }
  return (results ?? []).map((result) => result.migrationName);
}

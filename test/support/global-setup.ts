import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { Redis } from 'ioredis';
import { Kysely } from 'kysely';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { PGliteDialect } from '../../src/db/pglite-dialect.ts';
import type { Tables } from '../../src/db/tables.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A database made for this test run, migrated to the newest schema. */
    databaseUrl: string;
    /** The Redis server for queue tests; each test uses a fresh key prefix on it. */
    redisUrl: string;
    /**
     * A PGlite database migrated to the newest schema, as `dumpDataDir` writes it: test
     * databases on PGlite start as a copy of it (test/support/databases.ts), which takes a
     * quarter of the CPU of creating one and migrating it.
     */
    pgliteTemplate: string;
    /**
     * A Postgres database migrated to the newest schema that nothing connects to: a test's
     * own database starts as a copy of it (test/support/fresh-database.ts), in a quarter of
     * a second where migrating an empty one takes two or more.
     */
    migratedTemplate: string;
  }
}

const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Redis is required like Postgres: a missing server fails the run, with the command to start it. */
async function checkRedis(): Promise<void> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${REDIS_URL} (${(error as Error).message}). Start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
    );
  } finally {
    redis.disconnect();
  }
}

/**
 * Builds dist/ (`npm run build`) once for the run: the tests that start Plaudit as its own
 * process run the compiled build, as production does (test/support/plaudit-build.ts).
 */
async function build(): Promise<void> {
  const script = new URL('../../scripts/build.mjs', import.meta.url);
  await promisify(execFile)(process.execPath, [script.pathname]);
}

/** Writes a migrated PGlite database's files (a tarball) into `folder`; returns its path. */
async function pgliteTemplate(folder: string): Promise<string> {
  const pglite = await PGlite.create('memory://');
  const db = new Kysely<Tables>({ dialect: new PGliteDialect(pglite) });
  await migrateToLatest(db);
  const dump = await pglite.dumpDataDir('none');
  const file = path.join(folder, 'pglite-migrated.tar');
  await writeFile(file, Buffer.from(await dump.arrayBuffer()));
  await db.destroy();
  return file;
}

/**
 * Builds dist/, makes the PGlite template, and creates a fresh Postgres database for the run and drops it afterwards. Postgres is
 * required: a missing server fails the run (it never skips), with the command to start it.
 */
export default async function setup(project: TestProject) {
  const scratch = await mkdtemp(path.join(tmpdir(), 'plaudit-test-run-'));
  await checkRedis();
  project.provide('redisUrl', REDIS_URL);
  const admin = new pg.Client({ connectionString: SERVER_URL });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `Postgres is not reachable at ${SERVER_URL} (${(error as Error).message}). Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
    );
  }
  const name = `plaudit_test_${Date.now()}_${process.pid}`;
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const migrated = `${name}_template`;
  const templateUrl = new URL(SERVER_URL);
  templateUrl.pathname = `/${migrated}`;
  // The three take about as long, in three places (esbuild, this process's WebAssembly,
  // Postgres): at once, the run starts sooner.
  const [, template] = await Promise.all([
    build(),
    pgliteTemplate(scratch),
    (async () => {
      await admin.query(`create database ${migrated}`);
      const db = await openDatabase({ url: templateUrl.href });
      await migrateToLatest(db);
      await db.destroy();
      // The run's database is the template's first copy; the template is never opened again.
      await admin.query(`create database ${name} template ${migrated}`);
    })(),
  ]);
  project.provide('pgliteTemplate', template);
  project.provide('databaseUrl', url.href);
  project.provide('migratedTemplate', migrated);

  return async () => {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`drop database if exists ${migrated} with (force)`);
    await admin.end();
    await rm(scratch, { recursive: true, force: true });
  };
}

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Database, openDatabase } from '../../../src/db/database.ts';
import { loadMigrations } from '../../../src/db/migrate.ts';
import { createFreshDatabase, type FreshDatabase } from '../../support/fresh-database.ts';
import { runProcess } from '../../support/npm-script.ts';
import { builtEntry } from '../../support/plaudit-build.ts';
import { schemaFingerprint } from '../../support/schema-fingerprint.ts';

/** As many as a `docker compose up` with `migrate`, two web and two worker processes might. */
const PROCESSES = 4;

describe('several processes migrating one fresh database at once', () => {
  let fresh: FreshDatabase;
  let reference: Database;
  beforeAll(async () => {
    fresh = await createFreshDatabase('migrate_race');
    // The run's database, migrated by one process before any test: the schema to match.
    reference = await openDatabase({ url: inject('databaseUrl'), poolSize: 1 });
  });
  afterAll(async () => {
    await reference?.destroy();
    await fresh?.drop();
  });

  it('all succeed, the migrations run once, and the schema is the one a single process makes', async () => {
    const runs = await Promise.all(
      // `npm run migrate`'s command (the build), without npm's own start-up.
      Array.from({ length: PROCESSES }, () =>
        runProcess('node', builtEntry('migrate-main'), { DATABASE_URL: fresh.url }),
      ),
    );
    for (const run of runs) expect(run).toMatchObject({ code: 0 });
    // The migrator's lock: one process applied every migration (saying so on stderr as each
    // began), the others found none left and said nothing more.
    const all = Object.keys(await loadMigrations());
    const outputs = runs
      .map((run) => ({ stdout: run.stdout.trim(), stderr: run.stderr }))
      .sort((a, b) => a.stdout.localeCompare(b.stdout));
    const applied = {
      stdout: `applied: ${all.join(', ')}`,
      stderr: all.map((name) => `migrating: ${name}\n`).join(''),
    };
    const untouched = { stdout: 'already up to date', stderr: '' };
    expect(outputs).toEqual(
      [applied, ...Array.from({ length: PROCESSES - 1 }, () => untouched)].sort((a, b) =>
        a.stdout.localeCompare(b.stdout),
      ),
    );
    const migrated = await openDatabase({ url: fresh.url, poolSize: 1 });
    try {
      const fingerprint = await schemaFingerprint(migrated);
      expect(fingerprint.migrations).toEqual(all);
      expect(fingerprint.triggers.length).toBeGreaterThan(0);
      expect(fingerprint).toEqual(await schemaFingerprint(reference));
    } finally {
      await migrated.destroy();
    }
  });
});

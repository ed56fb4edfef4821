import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { until } from './until.ts';

/** A Postgres database of a test's own, empty (a process started on it migrates it) or migrated. */
export interface FreshDatabase {
  readonly url: string;
  /** Drops it once every session on it has ended. */
  drop(): Promise<void>;
}

/**
 * Creates a database on the run's Postgres server, for a test whose process must not share
 * the run's database (one that sweeps or schedules every organization in it): empty, for
 * tests of migrating or of starting on a new database; `migrated`, a copy of the run's
 * migrated template (global-setup.ts), for the rest, which a process starts on as on any
 * deployment's database it migrated before (0.3 s, where migrating takes 2 s or more).
 */
export async function createFreshDatabase(
  label: string,
  options: { readonly migrated?: boolean } = {},
): Promise<FreshDatabase> {
  const name = `plaudit_${label}_${randomUUID().replaceAll('-', '')}`;
  const url = new URL(inject('databaseUrl'));
  const server = new pg.Client({ connectionString: url.href });
  await server.connect();
  const template = options.migrated ? ` template ${inject('migratedTemplate')}` : '';
  await server.query(`create database ${name}${template}`);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      // A closed process's pool may still be saying goodbye: dropping the database under
      // it would kill that session and throw in a client nobody listens to any more.
      await until(async () => {
        const { rows } = await server.query<{ n: number }>(
          'select count(*)::int as n from pg_stat_activity where datname = $1',
          [name],
        );
        return rows[0]?.n === 0;
      });
      await server.query(`drop database if exists ${name}`);
      await server.end();
    },
  };
}

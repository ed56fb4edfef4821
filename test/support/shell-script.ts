import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { runProcess, type ScriptRun } from './npm-script.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs one of the repository's shell scripts (a path from its root, such as
 * `deploy/backup/backup.sh`) as an operator would, with only PATH, HOME and the given
 * environment, and resolves once it has exited.
 */
export function runShellScript(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<ScriptRun> {
  return runProcess(`${ROOT}${script}`, args, env);
}

/** libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) for a database of the run's server. */
export function libpqEnvironment(database: string): Record<string, string> {
  const url = new URL(inject('databaseUrl'));
  return {
    PGHOST: url.hostname,
    PGPORT: url.port || '5432',
    PGUSER: decodeURIComponent(url.username) || 'postgres',
    ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}),
    PGDATABASE: database,
  };
}

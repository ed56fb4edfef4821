import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import type { ScriptRun } from './npm-script.ts';

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
  const child = spawn(`${ROOT}${script}`, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
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

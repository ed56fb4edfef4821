import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What an npm script printed, and how it exited. */
export interface ScriptRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `npm run <script> -- <args>` as an operator does, with only PATH, HOME and the given
 * environment, and resolves once it has exited.
 */
export function runNpmScript(
  script: string,
  env: Record<string, string>,
  args: readonly string[] = [],
): Promise<ScriptRun> {
  return runProcess(
    'npm',
    ['run', '--silent', script, ...(args.length > 0 ? ['--', ...args] : [])],
    env,
  );
}

/**
 * Runs a command in the repository's root with only PATH, HOME and the given environment,
 * and resolves once it has exited.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<ScriptRun> {
  const child = spawn(command, args, {
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

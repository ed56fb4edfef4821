import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { builtEntry, type EntryPoint } from './plaudit-build.ts';
import { until } from './until.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A Plaudit process (`dist/main.js` or another entry point), its output kept for failure messages. */
export interface PlauditProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Whether it has not exited yet. */
  running(): boolean;
  /** The last 20,000 characters it wrote to stdout and stderr. */
  output(): string;
}

/** A Plaudit worker process (`dist/main.js`, PLAUDIT_ROLE=worker). */
export type WorkerProcess = PlauditProcess;

/** Starts `npm run worker`'s process with only PATH, HOME and the given environment. */
export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  return startPlauditProcess({
    PLAUDIT_ROLE: 'worker',
    // Any free port for its health and metrics: several run at once on this machine.
    WORKER_PORT: '0',
    ...env,
  });
}

/**
 * Starts an entry point of Plaudit's build (`main`: `npm start`; `migrate-main`: `npm run
 * migrate`) as its own process, as production runs it (plain node, dist/), with only PATH,
 * HOME and the given environment, and the arguments given (`admin-grant-main`'s email).
 */
export function startPlauditProcess(
  env: Record<string, string>,
  entry: EntryPoint = 'main',
  args: readonly string[] = [],
): PlauditProcess {
  const child = spawn(process.execPath, [...builtEntry(entry), ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      // A worker runs at the test files' own priority, unless a test sets it: niced below
      // busy test files on a loaded machine, the tests that wait on it would crawl
      // (worker-priority.test.ts checks production's default).
      WORKER_NICENESS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    output: () => output,
  };
}

/** The `msg` line of a process's JSON log, once it is written. */
export async function logLine(
  child: PlauditProcess,
  msg: string,
): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await until(() => {
    for (const line of child.output().split('\n')) {
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.msg === msg) found = parsed;
    }
    return found !== undefined || !child.running();
  }, 60_000);
  if (!found) throw new Error(`the process exited before logging "${msg}":\n${child.output()}`);
  return found;
}

/**
 * `npm run bench:startup`: time from starting a Plaudit process (PLAUDIT_ROLE=all, local
 * mode) to its first `/healthz` 200, on an already migrated database, embedded (PGlite)
 * and on Postgres, three ways in the same run, taken in turn so drift hits each alike:
 * TypeScript through tsx (`node --import tsx src/main.ts`, what the image ran before the
 * build), the build (`node dist/main.js`, what the image runs), and `npm start` (npm, the
 * up-to-date check of the build, then dist/main.js: the README's quickstart). Also the
 * time to the process's first line, and how long `npm run build` took.
 *
 * BENCH_RUNS (starts per way and database, default 5) and BENCH_DATABASE_URL (the server).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freshDatabase, percentile, SERVER_URL } from './postgres-server.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DATABASE = 'plaudit_bench_startup';

if (!Number.isSafeInteger(RUNS) || RUNS < 1) {
  throw new Error('BENCH_RUNS must be a whole number of at least 1');
}

/** How each way starts a process: the command and its arguments. */
const WAYS = {
  'tsx (node --import tsx src/main.ts)': [process.execPath, '--import', 'tsx', 'src/main.ts'],
  'compiled (node dist/main.js)': [process.execPath, 'dist/main.js'],
  'npm start': ['npm', 'start', '--silent'],
} as const satisfies Record<string, readonly string[]>;
type Way = keyof typeof WAYS;

interface Start {
  /** Milliseconds from spawning to the first line the process wrote. */
  firstLine: number;
  /** Milliseconds from spawning to `/healthz` answering 200. */
  healthy: number;
}

/** Runs a command to its end; fails with its output when it fails. */
async function run(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`);
}

/** Stops a started process and waits for it to exit (the embedded folder is then free). */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Starts one process, times it to its first line and to `/healthz` 200, then stops it. */
async function timeStart(way: Way, env: Record<string, string>): Promise<Start> {
  const [command, ...args] = WAYS[way];
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', ...env },
    // npm start's process group, so that stopping it stops node under npm and sh too.
    detached: way === 'npm start',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Kept for a failure's message (a stopped process says so there, each time).
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
  try {
    let firstLine: number | undefined;
    const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
    for await (const line of lines) {
      firstLine ??= performance.now() - started;
      const parsed = line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {};
      if (parsed.msg !== 'Plaudit is listening') continue;
      const answer = await fetch(`${parsed.url}/healthz`);
      if (answer.status !== 200) throw new Error(`/healthz answered ${answer.status}`);
      const healthy = performance.now() - started;
      lines.on('line', () => {});
      return { firstLine, healthy };
    }
    throw new Error(`${way} exited before listening:\n${stderr}`);
  } finally {
    if (way === 'npm start' && child.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    } else {
      await stop(child);
    }
  }
}

async function dropDatabase(): Promise<void> {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${DATABASE} with (force)`);
  await admin.end();
}

const buildStarted = performance.now();
await run('npm', ['run', '--silent', 'build']);
const buildSeconds = (performance.now() - buildStarted) / 1000;

const folder = await mkdtemp(path.join(tmpdir(), 'plaudit-bench-startup-'));
const databases = {
  embedded: { PLAUDIT_DATA_DIR: path.join(folder, 'data') },
  postgres: { DATABASE_URL: await freshDatabase(DATABASE) },
};
const times = new Map<string, Start[]>();
try {
  // Migrated once beforehand: every start measured finds the schema up to date.
  for (const env of Object.values(databases)) await run('node', ['dist/migrate-main.js'], env);
  for (let round = 0; round < RUNS; round++) {
    for (const [database, env] of Object.entries(databases)) {
      for (const way of Object.keys(WAYS) as Way[]) {
        const key = `${database}\t${way}`;
        times.set(key, [...(times.get(key) ?? []), await timeStart(way, env)]);
      }
    }
  }
} finally {
  await rm(folder, { recursive: true, force: true });
  await dropDatabase();
}

const p50 = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
const min = (values: number[]) => Math.min(...values);
const max = (values: number[]) => Math.max(...values);
const s = (ms: number) => Number((ms / 1000).toFixed(2));
const [tsxWay] = Object.keys(WAYS);
console.log(
  `\nstart-up benchmark: ${RUNS} starts each way, migrated database, local mode; npm run build took ${buildSeconds.toFixed(2)} s\n`,
);
console.table(
  [...times].map(([key, starts]) => {
    const [database] = key.split('\t');
    const healthy = starts.map((start) => start.healthy);
    const tsx = (times.get(`${database}\t${tsxWay}`) ?? []).map((start) => start.healthy);
    return {
      database,
      way: key.split('\t')[1],
      'to /healthz p50 s': s(p50(healthy)),
      'min s': s(min(healthy)),
      'max s': s(max(healthy)),
      'first line p50 s': s(p50(starts.map((start) => start.firstLine))),
      'p50 / tsx p50': Number((p50(healthy) / p50(tsx)).toFixed(2)),
    };
  }),
);

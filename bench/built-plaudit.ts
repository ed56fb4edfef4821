/**
 * Plaudit as the chat benchmarks run it: the compiled build, started as production starts
 * it (`node dist/main.js`, no tsx loader), with V8's sampling profiler on (`--cpu-prof`)
 * writing into a temporary folder when the process exits, and bench/plaudit-meter.mjs
 * counting its CPU time and SQL round trips.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod/v4';
import { type CpuProfile, readCpuProfile } from './cpu-profile-summary.ts';
import { startProcess, stopProcess } from './printing-process.ts';
import type { StatementTime } from './statement-times.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/**
 * How long a stop waits for Plaudit to finish what it has in flight before telling it
 * again (which stops it at once): after a run at a rate it cannot keep up with, its
 * leftover work (the recipients' messages) can take minutes.
 */
const GRACE_MS = 15_000;

/** What Plaudit's process has spent since it started (bench/plaudit-meter.mjs). */
export interface Meter {
  /** CPU time, user and system, in milliseconds. */
  readonly cpuMs: number;
  /** SQL statements sent, each a round trip to Postgres (begin and commit included). */
  readonly queries: number;
  /** Transactions begun (explicit ones; a lone statement is its own). */
  readonly transactions: number;
  /** Milliseconds waited for a Postgres pool connection, summed over every wait. */
  readonly poolWaitMs: number;
  /** Milliseconds the main thread was runnable but waited for a CPU (Linux; else 0). */
  readonly runQueueMs: number;
  /**
   * The statements that took the most time in all since the meter was read before (not
   * since the process started), each timed from sending it to its result.
   */
  readonly statements: readonly StatementTime[];
  /** The process's pauses since the meter was read before (not since it started). */
  readonly pauses: Pauses;
}

/** What held up everything a process had in flight at once, during a stretch of its life. */
export interface Pauses {
  /** Garbage collections by V8's kind (minor, major, incremental, weak callbacks). */
  readonly gc: Readonly<Record<string, { count: number; totalMs: number; longestMs: number }>>;
  /** How late its event loop ran a timer due every 5 ms: the 99th percentile and the most. */
  readonly loopDelay: { readonly p99Ms: number; readonly maxMs: number };
}

/** The meter's running totals, which a run's cost is the difference of. */
type MeterCount = Exclude<keyof Meter, 'statements' | 'pauses'>;

const meterLine = z.object({
  meter: z.object({
    cpuMs: z.number(),
    queries: z.number(),
    transactions: z.number(),
    poolWaitMs: z.number(),
    runQueueMs: z.number(),
    statements: z.array(
      z.object({
        statement: z.string(),
        count: z.number(),
        totalMs: z.number(),
        p50Ms: z.number(),
        p99Ms: z.number(),
      }),
    ),
    pauses: z.object({
      gc: z.record(
        z.string(),
        z.object({ count: z.number(), totalMs: z.number(), longestMs: z.number() }),
      ),
      loopDelay: z.object({ p99Ms: z.number(), maxMs: z.number() }),
    }),
  }),
});

export interface BuiltPlaudit {
  readonly url: string;
  /** Its process id. */
  readonly pid: number;
  /** What the process has spent so far. */
  meter(): Promise<Meter>;
  /** What it had spent when it exited (after {@link BuiltPlaudit.stopAndReadProfile}). */
  readonly exitMeter: Promise<Meter>;
  /**
   * Stops the process (SIGTERM: it finishes what is in flight and exits, writing its
   * profile; again after a grace period) and reads the profile, which it then removes;
   * undefined when BENCH_CPU_PROFILE=0 ran it without the profiler (to see its cost).
   */
  stopAndReadProfile(): Promise<CpuProfile | undefined>;
  /** Stops the process, if it still runs, and removes its profile (a run that failed). */
  stop(): Promise<void>;
}

/** `npm run build`: compiles dist/ unless it is up to date with the sources. */
async function build(): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts/build.mjs')]);
}

export interface BuiltOptions {
  /**
   * A plain JavaScript module node loads first (`--import`), for what only a benchmark
   * changes (where the Teams bot gets its tokens).
   */
  readonly preload?: string;
  /** Whether to run the profiler (unless BENCH_CPU_PROFILE=0 says never). @defaultValue true */
  readonly profile?: boolean;
  /** What the lines printed about the process call it. @defaultValue Plaudit */
  readonly name?: string;
}

/**
 * Builds dist/, then starts `node --cpu-prof dist/main.js` with the environment given (a
 * web process, or a worker with PLAUDIT_ROLE=worker: it prints its url once taking jobs).
 */
export async function startBuiltPlaudit(
  env: Record<string, string>,
  { preload, profile = true, name = 'Plaudit' }: BuiltOptions = {},
): Promise<BuiltPlaudit> {
  await build();
  const profiles = await mkdtemp(path.join(tmpdir(), 'plaudit-bench-profile-'));
  const profiling = profile && process.env.BENCH_CPU_PROFILE !== '0';
  let waiting: Array<(meter: Meter) => void> = [];
  let last: Meter | undefined;
  const onLine = (line: string) => {
    if (!line.startsWith('{"meter"')) return;
    last = meterLine.parse(JSON.parse(line)).meter;
    for (const resolve of waiting) resolve(last);
    waiting = [];
  };
  const { url, child } = await startProcess(
    [
      ...(profiling ? ['--cpu-prof', '--cpu-prof-dir', profiles] : []),
      '--import',
      path.join(ROOT, 'bench/plaudit-meter.mjs'),
      ...(preload ? ['--import', path.join(ROOT, preload)] : []),
      path.join(ROOT, 'dist/main.js'),
    ],
    env,
    onLine,
  );
  // 'close' comes after the process's output has all been read, its exit line included.
  const exitMeter = new Promise<Meter>((resolve, reject) =>
    child.once('close', () =>
      last ? resolve(last) : reject(new Error(`${name} printed no meter line`)),
    ),
  );
  exitMeter.catch(() => {});
  const stop = async () => {
    await stopProcess(child);
    await rm(profiles, { recursive: true, force: true });
  };
  return {
    url,
    pid: child.pid as number,
    exitMeter,
    meter() {
      const next = new Promise<Meter>((resolve) => waiting.push(resolve));
      child.kill('SIGUSR2');
      return next;
    },
    stop,
    async stopAndReadProfile() {
      const stopped = await stopProcess(child, GRACE_MS);
      console.log(
        `${name} stopped ${(stopped.ms / 1000).toFixed(1)} s after SIGTERM` +
          (stopped.forced ? ` (told twice: it had not stopped within ${GRACE_MS / 1000} s)` : ''),
      );
      try {
        if (!profiling) return undefined;
        const [file] = (await readdir(profiles)).filter((name) => name.endsWith('.cpuprofile'));
        if (!file) throw new Error(`${name} wrote no CPU profile into ${profiles}`);
        // BENCH_CPU_PROFILE_SAVE keeps the whole profile (for DevTools, or a closer look).
        const save = process.env.BENCH_CPU_PROFILE_SAVE;
        if (save) await copyFile(path.join(profiles, file), save);
        return await readCpuProfile(path.join(profiles, file));
      } finally {
        await stop();
      }
    },
  };
}

/** What one process spent between two meters. */
export interface Spent {
  /** What the lines printed call it (`web`, `worker`). */
  readonly name: string;
  readonly before: Meter;
  readonly after: Meter;
}

/**
 * Prints what each command cost each of Plaudit's processes between two meters, whatever
 * the machine's load, and their sum: CPU milliseconds and SQL round trips per command
 * sent, and the milliseconds it waited for a pool connection and for a CPU (the second
 * grows with the machine's load: it says how much of a slow answer was the machine), the work left over after the run (the recipients' messages, the celebrations)
 * included when `after` is the exit meter, taken once that work is done.
 */
export function printCostPerCommand(
  commands: number,
  processes: readonly Spent[],
  admitted?: number,
): void {
  const each = (value: number) => (value / commands).toFixed(2);
  const sum = (pick: (meter: Meter) => number) =>
    processes.reduce((total, spent) => total + pick(spent.after) - pick(spent.before), 0);
  const line = (name: string, pick: (field: MeterCount) => number) =>
    `  ${name}: ${each(pick('cpuMs'))} CPU ms, ${each(pick('queries'))} SQL round trips ` +
    `(${each(pick('transactions'))} transactions); waited ${each(pick('poolWaitMs'))} ms ` +
    `for a pool connection, ${each(pick('runQueueMs'))} ms for a CPU (main thread)`;
  console.log(
    `Plaudit's cost per command (${commands} sent, to the end of its leftover work), by process:`,
  );
  for (const { name, before, after } of processes) {
    console.log(line(name, (field) => after[field] - before[field]));
  }
  if (processes.length > 1) console.log(line('all', (field) => sum((meter) => meter[field])));
  // Shed commands cost little: per command sent, a run that sheds more looks cheaper.
  if (admitted !== undefined && admitted > 0) {
    const per = (field: MeterCount) => (sum((meter) => meter[field]) / admitted).toFixed(2);
    console.log(
      `  all, per command not shed (${admitted}; the shed ones' cost included): ` +
        `${per('cpuMs')} CPU ms, ${per('queries')} SQL round trips`,
    );
  }
}

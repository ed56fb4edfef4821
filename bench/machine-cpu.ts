/**
 * The CPU time every process a chat bench runs on this machine spends, the servers'
 * included (Postgres, Redis, the fake chat API), so a run can say how much of the
 * machine one command takes, and whether the rate asked for fits in its cores: on two
 * cores, a deployment that needs more than two at the rate queues for a CPU whatever it
 * does. Read from Linux's /proc (each process's user and system time, its threads'
 * included) and from Redis's own `INFO cpu`, so waiting for a CPU is not counted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Redis } from 'ioredis';
import type pg from 'pg';

/** Clock ticks a second in /proc/<pid>/stat (USER_HZ: 100 on every Linux ABI Node runs on). */
const USER_HZ = 100;

/** The fields of /proc/<pid>/stat after the command name (state first), or null. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: the fields counted follow it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

const ticksMs = (...ticks: Array<string | undefined>) =>
  (ticks.reduce((sum, tick) => sum + Number(tick), 0) * 1000) / USER_HZ;

/**
 * CPU milliseconds a process has spent so far (user and system, all its threads), or null;
 * with `reaped`, those of its children that have ended and it has waited for too.
 */
export function processCpuMs(pid: number, reaped = false): number | null {
  const fields = statFields(pid);
  if (!fields) return null;
  return reaped
    ? ticksMs(fields[11], fields[12], fields[13], fields[14])
    : ticksMs(fields[11], fields[12]);
}

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (statFields(Number(entry))?.[1] === String(pid)) children.push(Number(entry));
  }
  return children;
}

/** One part of what runs: a process, or a server of several. */
export interface CpuSource {
  readonly name: string;
  /** CPU milliseconds spent so far by each of its processes, by process id. */
  spent(): Promise<ReadonlyMap<number, number>>;
}

/** Processes known by their ids. */
export function processes(name: string, pids: readonly number[]): CpuSource {
  return {
    name,
    async spent() {
      const spent = new Map<number, number>();
      for (const pid of pids) {
        const ms = processCpuMs(pid);
        if (ms !== null) spent.set(pid, ms);
      }
      return spent;
    },
  };
}

/**
 * The Postgres server `client` is connected to, when it runs on this machine: its postmaster
 * and every process it started, the backends of all connections and its WAL writer,
 * checkpointer and the rest (which work for the commits too), as one sum. A backend that
 * ended (a pool closing an idle connection) stays counted: the postmaster, having waited
 * for it, holds its time.
 */
export function postgresServer(client: pg.Client): CpuSource {
  let postmaster: number | undefined;
  return {
    name: 'Postgres',
    async spent() {
      if (postmaster === undefined) {
        const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
        postmaster = Number(statFields(rows[0]?.pid as number)?.[1]);
      }
      let total = processCpuMs(postmaster, true) ?? Number.NaN;
      for (const child of childrenOf(postmaster)) total += processCpuMs(child) ?? 0;
      return new Map([[postmaster, total]]);
    },
  };
}

/** The Redis server `redis` is connected to, by its own account (`INFO cpu`). */
export function redisServer(redis: Redis): CpuSource {
  return {
    name: 'Redis',
    async spent() {
      const info = await redis.info();
      const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
      const seconds = field('used_cpu_sys') + field('used_cpu_user');
      return new Map([[field('process_id'), seconds * 1000]]);
    },
  };
}

/** This process: the bench itself, which sends the load. */
export function loadGenerator(): CpuSource {
  return processes('load generator', [process.pid]);
}

/** What each source had spent at one moment. */
export type CpuSnapshot = ReadonlyMap<string, ReadonlyMap<number, number>>;

export async function cpuSnapshot(sources: readonly CpuSource[]): Promise<CpuSnapshot> {
  const snapshot = new Map<string, ReadonlyMap<number, number>>();
  for (const source of sources) snapshot.set(source.name, await source.spent());
  return snapshot;
}

/** A measured run, and what the machine had spent at its start and its end. */
export interface MeteredRun<Run> {
  readonly run: Run;
  readonly before: CpuSnapshot;
  readonly after: CpuSnapshot;
}

/**
 * Runs `measure`, which calls `warmedUp` where its measured run starts (after its warm-up),
 * and reads what `sources` spent from there to its end.
 */
export async function meteredRun<Run>(
  sources: readonly CpuSource[],
  measure: (warmedUp: () => Promise<void>) => Promise<Run>,
): Promise<MeteredRun<Run>> {
  let before: CpuSnapshot | undefined;
  const run = await measure(async () => {
    before = await cpuSnapshot(sources);
  });
  const after = await cpuSnapshot(sources);
  if (!before) throw new Error('the run never said where it started');
  return { run, before, after };
}

/**
 * CPU milliseconds each source spent between two snapshots: each of its processes alive
 * at the second, less what it had at the first (all of it, for one started since). A
 * process that ended in between is not counted.
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
  const between = new Map<string, number>();
  for (const [name, spent] of after) {
    let total = 0;
    for (const [pid, ms] of spent) total += ms - (before.get(name)?.get(pid) ?? 0);
    between.set(name, total);
  }
  return between;
}

/**
 * Prints the CPU each source spent a command between two snapshots, their sum, and the
 * cores that sum takes at `rate` commands a second, beside the cores this machine has.
 */
export function printMachineCpu(
  title: string,
  commands: number,
  rate: number,
  before: CpuSnapshot,
  after: CpuSnapshot,
): void {
  const spent = cpuBetween(before, after);
  const each = [...spent].map(([name, ms]) => `${name} ${(ms / commands).toFixed(2)}`);
  const total = [...spent.values()].reduce((sum, ms) => sum + ms, 0) / commands;
  console.log(
    `${title}, CPU ms a command by process (${commands} commands; /proc and Redis's INFO): ` +
      `${each.join(', ')}; ${total.toFixed(2)} in all, ` +
      `${((total * rate) / 1000).toFixed(2)} cores at ${rate}/s, of ${availableParallelism()} here`,
  );
}

/** {@link printMachineCpu} for a chat bench's baseline run, then its reference's. */
export function printBaselinesMachineCpu(
  commands: number,
  rate: number,
  baseline: MeteredRun<unknown>,
  reference: MeteredRun<unknown>,
): void {
  for (const [title, run] of [
    ["The machine during the baseline's run", baseline],
    ["The machine during the reference's run", reference],
  ] as const) {
    printMachineCpu(title, commands, rate, run.before, run.after);
  }
}

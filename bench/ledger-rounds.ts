import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { MemberAccounts } from '../src/ledger/accounts.ts';
import { readBalances } from '../src/ledger/balances.ts';
import type { VolumeLedger } from './ledger-volume.ts';
import { giveOne } from './ledger-workload.ts';
import { percentile, SERVER_URL } from './postgres-server.ts';

export type Operation = 'give' | 'balance';
export const OPERATIONS: readonly Operation[] = ['give', 'balance'];

/** One arm of the comparison: a size's ledger (a size named twice is its own control). */
export interface Arm {
  readonly label: string;
  readonly volume: VolumeLedger;
}

/** One arm's figures for one operation, over all rounds. */
export interface ArmFigures {
  /** Milliseconds of every timed call, sorted. */
  readonly latencies: number[];
  /** Each round's median milliseconds, in round order. */
  readonly roundMedians: number[];
  /**
   * Each round's CPU time of the database's server processes per call, µs (what Postgres
   * itself spent: parsing, executing, writing WAL, not waiting for the disk or for a CPU);
   * NaN for a round where it could not be read (a connection replaced mid-block).
   */
  readonly roundServerCpuUs: number[];
  /** Each round's CPU time of this process per call, µs (kysely, pg, the ledger's code). */
  readonly roundClientCpuUs: number[];
}

/** The rounds' figures, and the server's checkpoints while they ran. */
export interface RoundsFigures {
  readonly operations: Map<Operation, ArmFigures[]>;
  readonly seconds: number;
  /**
   * Checkpoints the server made meanwhile (any database's, requested or timed): after each,
   * a page's first change writes it whole to the WAL, so a give that touches more distinct
   * pages (its members' own index pages, on a large ledger) writes more, the more often
   * the server checkpoints.
   */
  readonly checkpoints: number;
}

export interface RoundsOptions {
  readonly rounds: number;
  /** Timed calls of each arm in a round (half in each of its two blocks). */
  readonly samples: number;
  /** Untimed calls at the start of each block. */
  readonly warmUp: number;
}

/** Nanoseconds a process has run on a CPU (Linux's /proc/<pid>/schedstat), or null. */
function cpuNanoseconds(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

/**
 * Interleaved measurement: `rounds` rounds, each running every arm in two blocks of
 * `samples / 2` timed calls (after `warmUp` untimed ones), in the order A B … B A (and
 * the next round B A … A B), for the give and then for the balance read. A drift of the
 * machine's speed (other work starting or ending, a CPU's frequency) then falls on every
 * arm alike, and each round's ratio of medians compares sizes measured within a second of
 * each other. Every call is the real thing: a give through `Ledger.transfer`, a balance
 * read through `readBalances`.
 *
 * Beside wall-clock time, each block reads the CPU time the arm's database server
 * processes and this process spent (the server's from /proc, when Postgres runs on this
 * machine): figures a loaded machine changes far less, since waiting for a CPU or the disk
 * is not counted.
 */
export async function interleavedRounds(
  arms: readonly Arm[],
  options: RoundsOptions,
): Promise<RoundsFigures> {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  const checkpoints = async () =>
    Number(
      (
        await admin.query<{ n: string }>(
          'select checkpoints_timed + checkpoints_req as n from pg_stat_bgwriter',
        )
      ).rows[0]?.n,
    );
  const checkpointsBefore = await checkpoints();
  const started = performance.now();
  const backends = async (database: string) =>
    (
      await admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = $1 and backend_type = 'client backend'
         order by pid`,
        [database],
      )
    ).rows.map((row) => row.pid);
  const serverCpu = (pids: readonly number[]) => {
    let total = 0;
    for (const pid of pids) {
      const ns = cpuNanoseconds(pid);
      if (ns === null) return Number.NaN;
      total += ns;
    }
    return total;
  };
  const run = Date.now();
  let call = 0;
  const operation = (arm: Arm, op: Operation) => {
    const { bench, db } = arm.volume;
    return async () => {
      call += 1;
      if (op === 'give') {
        if (!(await giveOne(bench, `rounds-${run}-${call}`))) throw new Error('a give was refused');
      } else {
        const member = bench.accounts[call % bench.accounts.length] as MemberAccounts;
        await readBalances(db, [member.allowance.id, member.earned.id]);
      }
    };
  };
  const figures = new Map<Operation, ArmFigures[]>(
    OPERATIONS.map((op) => [
      op,
      arms.map(() => ({
        latencies: [],
        roundMedians: [],
        roundServerCpuUs: [],
        roundClientCpuUs: [],
      })),
    ]),
  );
  const half = Math.max(1, Math.floor(options.samples / 2));
  try {
    for (let round = 0; round < options.rounds; round++) {
      const forward = arms.map((_, index) => index);
      const first = round % 2 === 0 ? forward : [...forward].reverse();
      const order = [...first, ...[...first].reverse()];
      for (const op of OPERATIONS) {
        const latencies = arms.map((): number[] => []);
        const serverNs = arms.map(() => 0);
        const clientUs = arms.map(() => 0);
        for (const index of order) {
          const arm = arms[index] as Arm;
          const once = operation(arm, op);
          for (let n = 0; n < options.warmUp; n++) await once();
          const pids = await backends(arm.volume.name);
          const serverBefore = serverCpu(pids);
          const clientBefore = process.cpuUsage();
          for (let n = 0; n < half; n++) {
            const started = performance.now();
            await once();
            (latencies[index] as number[]).push(performance.now() - started);
          }
          const client = process.cpuUsage(clientBefore);
          const serverAfter = serverCpu(pids);
          const same = (await backends(arm.volume.name)).join() === pids.join();
          serverNs[index] =
            (serverNs[index] as number) + (same ? serverAfter - serverBefore : Number.NaN);
          clientUs[index] = (clientUs[index] as number) + client.user + client.system;
        }
        const all = figures.get(op) as ArmFigures[];
        arms.forEach((_, index) => {
          const mine = (latencies[index] as number[]).sort((a, b) => a - b);
          const f = all[index] as ArmFigures;
          f.latencies.push(...mine);
          f.roundMedians.push(percentile(mine, 0.5));
          f.roundServerCpuUs.push((serverNs[index] as number) / 1000 / mine.length);
          f.roundClientCpuUs.push((clientUs[index] as number) / mine.length);
        });
      }
    }
    for (const all of figures.values()) for (const f of all) f.latencies.sort((a, b) => a - b);
    return {
      operations: figures,
      seconds: (performance.now() - started) / 1000,
      checkpoints: (await checkpoints()) - checkpointsBefore,
    };
  } finally {
    await admin.end();
  }
}

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  cpuBetween,
  cpuSnapshot,
  meteredRun,
  postgresServer,
  printMachineCpu,
  processCpuMs,
  processes,
  redisServer,
} from '../../../bench/machine-cpu.ts';

describe("the chat benches' account of the machine's CPU", () => {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  const redis = new Redis(inject('redisUrl'));
  beforeAll(() => client.connect());
  afterAll(async () => {
    await client.end();
    redis.disconnect();
  });

  it("reads a process's CPU time, its threads' included, and nothing for one that is gone", async () => {
    // Spins for 400 ms of CPU, says so, and waits to be stopped.
    const child = spawn(
      process.execPath,
      [
        '-e',
        'const start = process.cpuUsage(); while (process.cpuUsage(start).user < 400000) {} console.log("spun"); setInterval(() => {}, 1000);',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const pid = child.pid as number;
    const before = processCpuMs(pid) ?? Number.NaN;
    await once(child.stdout as NonNullable<typeof child.stdout>, 'data');
    const after = processCpuMs(pid) ?? Number.NaN;
    child.kill();
    await once(child, 'exit');
    expect(after - before).toBeGreaterThanOrEqual(300);
    expect(processCpuMs(pid)).toBeNull();
  });

  it("counts the Postgres server's work, a backend's that has ended too, and Redis's by its own account", async () => {
    const sources = [postgresServer(client), redisServer(redis)];
    const before = await cpuSnapshot(sources);
    // A connection of its own spins in its backend and closes: the backend ends before the
    // second snapshot, and its time is still counted.
    const passing = new pg.Client({ connectionString: inject('databaseUrl') });
    await passing.connect();
    const { rows } = await passing.query<{ pid: number }>('select pg_backend_pid() as pid');
    const backend = rows[0]?.pid as number;
    await passing.query('select count(*) from generate_series(1, 3000000)');
    await passing.end();
    await vi.waitFor(() => expect(processCpuMs(backend)).toBeNull());
    await redis.eval('local n = 0 for i = 1, 5000000 do n = n + i end return 1', 0);
    const spent = cpuBetween(before, await cpuSnapshot(sources));
    expect(spent.get('Postgres')).toBeGreaterThanOrEqual(100);
    expect(spent.get('Redis')).toBeGreaterThanOrEqual(20);
  });

  it('counts a process started between two snapshots whole, and one that ended not at all', () => {
    const before = new Map([
      [
        'web',
        new Map([
          [1, 100],
          [2, 50],
        ]),
      ],
    ]);
    const after = new Map([
      [
        'web',
        new Map([
          [1, 160],
          [3, 30],
        ]),
      ],
    ]);
    expect(cpuBetween(before, after)).toEqual(new Map([['web', 90]]));
    expect(cpuBetween(before, new Map([['web', new Map()]]))).toEqual(new Map([['web', 0]]));
  });

  it('reads the machine where a run says its measured part starts, and again at its end', async () => {
    let spent = 0;
    const counter = { name: 'counter', spent: async () => new Map([[1, spent]]) };
    const metered = await meteredRun([counter], async (warmedUp) => {
      spent = 10;
      await warmedUp();
      spent = 25;
      return 'the run';
    });
    expect(metered.run).toBe('the run');
    expect(cpuBetween(metered.before, metered.after)).toEqual(new Map([['counter', 15]]));
    await expect(meteredRun([counter], async () => 'no start')).rejects.toThrow(
      'the run never said where it started',
    );
  });

  it('prints each part a command, their sum, and the cores it takes at the rate', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const before = await cpuSnapshot([processes('this process', [process.pid])]);
      const after = new Map([
        [
          'this process',
          new Map([[process.pid, (before.get('this process')?.get(process.pid) ?? 0) + 3000]]),
        ],
        ['Postgres', new Map([[1, 1000]])],
      ]);
      printMachineCpu('The run', 1000, 200, before, after);
      expect(log).toHaveBeenCalledWith(
        "The run, CPU ms a command by process (1000 commands; /proc and Redis's INFO): " +
          `this process 3.00, Postgres 1.00; 4.00 in all, 0.80 cores at 200/s, of ${availableParallelism()} here`,
      );
    } finally {
      log.mockRestore();
    }
  });
});

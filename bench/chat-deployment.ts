/**
 * Plaudit as the chat benchmarks run it, shaped as docker-compose.yml deploys it: a web
 * process (PLAUDIT_ROLE=web: answers the commands and relays the notification outbox to
 * the queue) and a worker process (PLAUDIT_ROLE=worker: sends the notifications with the
 * chat platforms' clients, and runs the allowance, redemption and ledger queues), both the
 * build (`node dist/main.js`), sharing Redis under a key prefix of their own (removed at
 * the end), so other runs on the same Redis are not disturbed. Both are metered (CPU time,
 * SQL round trips, and the web's statements' times during the run); the web process is
 * profiled, and the worker too with BENCH_PROFILE_WORKER=1.
 *
 * The ledger verification's schedule is off (LEDGER_VERIFY_CRON=off): hourly in
 * production, it would land in a run or not by the clock.
 *
 * BENCH_HOLD_NOTIFICATIONS=1 pauses the notifications queue from the start to the run's
 * end (the jobs wait in Redis; the worker runs but takes none) and sends them all after:
 * the answers are then the web process's alone, without the worker's sends beside them.
 * That is not how the goal's figures are measured; it shows how much of an answer's time
 * the sends take from it.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  type BuiltOptions,
  type BuiltPlaudit,
  type Meter,
  type Pauses,
  printCostPerCommand,
  startBuiltPlaudit,
} from './built-plaudit.ts';
import { profileClock } from './cpu-profile-summary.ts';
import {
  type CpuSnapshot,
  type CpuSource,
  cpuSnapshot,
  loadGenerator,
  postgresServer,
  printMachineCpu,
  processes,
  redisServer,
} from './machine-cpu.ts';
import { printStatementTimes } from './statement-times.ts';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The longest the leftover work is waited for after a run, in seconds. */
const LEFTOVER_LIMIT_S = Number(process.env.BENCH_LEFTOVER_LIMIT ?? 180);
/** Whether the notifications wait in the queue until the run has ended. */
const HOLD_NOTIFICATIONS = process.env.BENCH_HOLD_NOTIFICATIONS === '1';

export interface ChatDeployment {
  readonly web: BuiltPlaudit;
  readonly worker: BuiltPlaudit;
  /**
   * Waits until the work the commands left is done: no notification left in the outbox,
   * none waiting, running or delayed in the queue (or the limit passed). Says how long it
   * took and how many jobs failed or were still left.
   */
  leftoverDone(): Promise<{ ms: number; left: number; failed: number }>;
  /**
   * The commands the web process shed so far, by reason (its /metrics'
   * plaudit_commands_shed_total): `saturated` (CHAT_COMMANDS_IN_FLIGHT running), `late`.
   */
  shed(): Promise<Record<string, number>>;
  /** Stops both processes, if they still run, and removes the run's keys from Redis. */
  stop(): Promise<void>;
  /** Vacuums and analyzes the database (see {@link runStart}). */
  analyze(): Promise<void>;
  /**
   * What every process of the run has spent so far (see bench/machine-cpu.ts): both of
   * Plaudit's, the Postgres and Redis servers, and the others the bench named.
   */
  machineCpu(): Promise<CpuSnapshot>;
}

/**
 * Starts the web process (migrating the database) and then the worker, with `env` (the
 * database, the chat platform's settings) in both; `web` is the web process's options.
 */
export async function startChatDeployment(
  label: string,
  env: Record<string, string> & { DATABASE_URL: string },
  web: BuiltOptions = {},
  /** The processes beside Plaudit whose CPU is counted with its own (the fake chat API). */
  beside: readonly CpuSource[] = [],
): Promise<ChatDeployment> {
  const prefix = `bench-${label}-${randomUUID().slice(0, 8)}`;
  const shared = {
    ...env,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    LEDGER_VERIFY_CRON: 'off',
    LOG_LEVEL: env.LOG_LEVEL ?? 'info',
  };
  const webProcess = await startBuiltPlaudit(
    { ...shared, PLAUDIT_ROLE: 'web', PORT: '0' },
    { name: 'web process', ...web },
  );
  let workerProcess: BuiltPlaudit | undefined;
  const queue = new Queue('notifications', { connection: { url: REDIS_URL }, prefix });
  const database = new pg.Client({ connectionString: env.DATABASE_URL });
  // The bench's own connection: Redis's CPU is read through it, and the run's keys removed.
  const redis = new Redis(REDIS_URL);
  const stop = async () => {
    await webProcess.stop();
    await workerProcess?.stop();
    await queue.close();
    await database.end().catch(() => {});
    try {
      for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 })) {
        if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
      }
    } finally {
      redis.disconnect();
    }
  };
  try {
    // The worker sends the notifications: it preloads what the web process does (where
    // the Teams bot gets its tokens).
    workerProcess = await startBuiltPlaudit(
      { ...shared, PLAUDIT_ROLE: 'worker', WORKER_PORT: '0' },
      {
        preload: web.preload,
        profile: process.env.BENCH_PROFILE_WORKER === '1',
        name: 'worker process',
      },
    );
    await database.connect();
    if (HOLD_NOTIFICATIONS) await queue.pause();
  } catch (error) {
    await stop();
    throw error;
  }
  const machine: CpuSource[] = [
    processes('web process', [webProcess.pid]),
    processes('worker process', [workerProcess.pid]),
    postgresServer(database),
    redisServer(redis),
    ...beside,
    loadGenerator(),
  ];
  return {
    web: webProcess,
    worker: workerProcess,
    stop,
    machineCpu: () => cpuSnapshot(machine),
    async analyze() {
      await database.query('vacuum analyze');
    },
    async shed() {
      const metrics = await (await fetch(`${webProcess.url}/metrics`)).text();
      const shed: Record<string, number> = {};
      for (const [, reason, count] of metrics.matchAll(
        /^plaudit_commands_shed_total\{reason="(\w+)"\} (\d+)/gm,
      )) {
        shed[reason as string] = Number(count);
      }
      return shed;
    },
    async leftoverDone() {
      if (HOLD_NOTIFICATIONS) await queue.resume();
      const started = performance.now();
      let left = 0;
      do {
        const outbox = await database.query<{ count: string }>(
          'select count(*) from notification_outbox where queued_at is null',
        );
        const counts = await queue.getJobCounts(
          'waiting',
          'active',
          'delayed',
          'prioritized',
          'waiting-children',
        );
        left = Number(outbox.rows[0]?.count ?? 0);
        for (const count of Object.values(counts)) left += count;
        if (left === 0) break;
        // A benchmark polls; a test never does.
        await new Promise((resolve) => setTimeout(resolve, 250));
      } while (performance.now() - started < LEFTOVER_LIMIT_S * 1000);
      const { failed = 0 } = await queue.getJobCounts('failed');
      return { ms: performance.now() - started, left, failed };
    },
  };
}

/** Where a measured run starts: both processes' meters, and the CPU profiles' clock. */
export interface RunStart {
  readonly webBefore: Meter;
  readonly workerBefore: Meter;
  readonly machineBefore: CpuSnapshot;
  readonly from: number;
}

/**
 * Reads where a measured run starts (after its warm-up), once the database is vacuumed and
 * analyzed as a production server's autovacuum would have done by then (it analyzes a
 * table again whenever a tenth of it has changed). This server runs with autovacuum off
 * (the CI machines' setting): without this, the tables the warm-up filled have no
 * statistics, or those of when they were empty, and the plans made from them are kept by
 * the pooled connections. The run then measured plans no production server makes: the
 * worker's look-up of a recipient's Slack id read all 1,000 identities for one, and, once
 * the people were analyzed with no kudos yet, the kudos counts' trigger read every
 * recognition on each give.
 */
export async function runStart(deployment: ChatDeployment): Promise<RunStart> {
  await deployment.analyze();
  const webBefore = await deployment.web.meter();
  const workerBefore = await deployment.worker.meter();
  const machineBefore = await deployment.machineCpu();
  return { webBefore, workerBefore, machineBefore, from: profileClock() };
}

/**
 * Where a measured run ends: the CPU profiles' clock, and the web process's statements
 * and pauses during the run.
 */
export interface RunEnd {
  readonly to: number;
  readonly webStatements: Meter['statements'];
  readonly webPauses: Pauses;
}

/** Reads where a measured run ends, as soon as its last answer is in. */
export async function runEnd(deployment: ChatDeployment): Promise<RunEnd> {
  const to = profileClock();
  // The web's meter was read at the run's start, so these are the run's statements and pauses.
  const { statements, pauses } = await deployment.web.meter();
  return { to, webStatements: statements, webPauses: pauses };
}

/**
 * What a chat bench prints after its comparison: the commands the web process shed, how long
 * the work left after the run took, and each process's cost per command (of `sent`), from
 * the meters read before the run to those at exit.
 */
export async function printDeploymentCosts(
  deployment: ChatDeployment,
  sent: number,
  run: {
    shed: Record<string, number>;
    leftover: { ms: number; left: number; failed: number };
    webBefore: Meter;
    workerBefore: Meter;
    webStatements: Meter['statements'];
    webPauses: Pauses;
    /** Commands a second the run sent. */
    rate: number;
    machineBefore: CpuSnapshot;
    /** Read once the leftover work was done, before the processes stopped. */
    machineAfter: CpuSnapshot;
  },
): Promise<void> {
  if (HOLD_NOTIFICATIONS) {
    console.log(
      'notifications held in the queue until the run ended (BENCH_HOLD_NOTIFICATIONS=1): these answers are the web process alone, not the goal’s deployment',
    );
  }
  console.log(
    `commands Plaudit shed (answered busy, nothing done), by reason: ${JSON.stringify(run.shed)}`,
  );
  printLeftover(run.leftover);
  printCostPerCommand(
    sent,
    [
      { name: 'web process', before: run.webBefore, after: await deployment.web.exitMeter },
      {
        name: 'worker process',
        before: run.workerBefore,
        after: await deployment.worker.exitMeter,
      },
    ],
    sent - Object.values(run.shed).reduce((total, count) => total + count, 0),
  );
  printMachineCpu(
    "The machine during Plaudit's run, to the end of its leftover work",
    sent,
    run.rate,
    run.machineBefore,
    run.machineAfter,
  );
  printStatementTimes("The web process's SQL during the run", run.webStatements, sent);
  console.log(
    '\nPauses that held up all a process had in flight (the web process during the run; the ' +
      'worker from the run’s start to its exit, its leftover work included):',
  );
  console.log(`  web process: ${pausesLine(run.webPauses)}`);
  console.log(`  worker process: ${pausesLine((await deployment.worker.exitMeter).pauses)}`);
}

/** A process's pauses in one line: its collections by kind, then its event loop's lateness. */
function pausesLine(pauses: Pauses): string {
  const collections = Object.entries(pauses.gc)
    .map(
      ([kind, seen]) =>
        `${kind} ${seen.count} (${seen.totalMs.toFixed(1)} ms in all, longest ${seen.longestMs.toFixed(1)})`,
    )
    .join(', ');
  return (
    `garbage collections ${collections || 'none'}; ` +
    `event loop late p99 ${pauses.loopDelay.p99Ms.toFixed(1)} ms, at most ${pauses.loopDelay.maxMs.toFixed(1)}`
  );
}

/** Prints how long the work left after the run took, and what of it failed or was left. */
function printLeftover(leftover: { ms: number; left: number; failed: number }): void {
  console.log(
    `work left after the run (notifications) done ${(leftover.ms / 1000).toFixed(1)} s after its end` +
      (leftover.left > 0 ? `, ${leftover.left} still left after ${LEFTOVER_LIMIT_S} s` : '') +
      `; ${leftover.failed} notification jobs failed`,
  );
}

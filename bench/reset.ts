/**
 * `npm run bench:reset`: the periodic allowance reset of BENCH_MEMBERS members (default
 * 100,000) on real Postgres, run by a worker process (`src/main.ts`, PLAUDIT_ROLE=worker)
 * that takes the job from BullMQ on Redis, timed from adding the job to its completion.
 * As every month: the members' accounts exist and last period's allowance is unused, so
 * each member gets two transfers (the expiry and the new grant). Beside it, in the same
 * run on the same server: a plain `INSERT … SELECT generate_series` of as many transfer
 * rows into a scratch table with ledger_transfers' columns, constraints and indexes (the
 * median of three). The first reset an organization ever has, which also creates the
 * members' accounts, is timed too (in-process, as the setup of the periodic one).
 *
 * BENCH_DATABASE_URL (the server) and BENCH_REDIS_URL (default redis://127.0.0.1:6379).
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pg from 'pg';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createOrganization } from '../src/directory/organizations.ts';
import { resetAllowances } from '../src/jobs/allowance-reset.ts';
import { ALLOWANCE_RESET } from '../src/jobs/allowance-schedules.ts';
import { createRecognitionServices } from '../src/recognition/recognition-services.ts';
import { freshDatabase, SERVER_URL } from './postgres-server.ts';
import { startWorkerProcess } from './worker-process.ts';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 100_000);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE = 'plaudit_bench_reset';
const GRANT = 100; // recognition_settings' default allowance_amount

if (!Number.isSafeInteger(MEMBERS) || MEMBERS < 1) {
  throw new Error('BENCH_MEMBERS must be a whole number of at least 1');
}

/** An organization with MEMBERS active members, inserted in one statement. */
async function seed(db: Database): Promise<number> {
  const organization = await createOrganization(db, {
    name: 'Bench',
    timezone: 'UTC',
    currency: 'EUR',
  });
  if (!organization.ok) throw new Error(organization.message);
  const organizationId = organization.value.id;
  await db.insertInto('recognition_settings').values({ organization_id: organizationId }).execute();
  await sql`
    insert into members (organization_id, display_name)
    select ${organizationId}, 'Member ' || g from generate_series(1, ${MEMBERS}::int) g`.execute(
    db,
  );
  await sql`analyze members`.execute(db);
  return organizationId;
}

/**
 * Seconds of a plain INSERT … SELECT generate_series of MEMBERS grant-shaped rows into a
 * fresh scratch table made like ledger_transfers (columns, identity, defaults, checks,
 * indexes; no foreign keys), dropped afterwards.
 */
async function rawInsertSeconds(
  db: Database,
  organizationId: number,
  rows: number,
): Promise<number> {
  await sql`drop table if exists bench_scratch_transfers`.execute(db);
  await sql`create table bench_scratch_transfers (like ledger_transfers including all)`.execute(db);
  try {
    const started = performance.now();
    await sql`
      insert into bench_scratch_transfers (organization_id, request_id, asset, debit_account_id,
        credit_account_id, amount, kind, status, memo)
      select ${organizationId}, g, 'allowance', 1, g + 1, ${GRANT}, 'allowance_grant', 'posted',
        'monthly allowance from 2026-01-01'
      from generate_series(1, ${rows}::int) g`.execute(db);
    return (performance.now() - started) / 1000;
  } finally {
    await sql`drop table bench_scratch_transfers`.execute(db);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function dropDatabase(): Promise<void> {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${DATABASE} with (force)`);
  } finally {
    await admin.end();
  }
}

const databaseUrl = await freshDatabase(DATABASE);
const prefix = `bench-reset-${randomUUID()}`;
const db = await openDatabase({ url: databaseUrl, poolSize: 2 });
const producer = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const listener = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const queue = new Queue('allowance', { connection: producer, prefix });
const events = new QueueEvents('allowance', { connection: listener, prefix });
let worker: ChildProcess | undefined;
let rows: Array<{ measure: string; value: number }>;
try {
  await migrateToLatest(db);
  const organizationId = await seed(db);

  const baselines: number[] = [];
  for (let run = 0; run < 3; run++) {
    baselines.push(await rawInsertSeconds(db, organizationId, 2 * MEMBERS));
  }
  const baseline = baselines.sort((a, b) => a - b)[1] as number;

  // Last period, opened as the organization's first ever reset: accounts are created too.
  const services = createRecognitionServices(db);
  const { now } = await services.settings.load(organizationId);
  const lastPeriod = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 15, 12));
  const firstStarted = performance.now();
  const first = await resetAllowances(db, services, organizationId, { at: lastPeriod });
  const firstReset = (performance.now() - firstStarted) / 1000;
  if (first.opened !== MEMBERS) throw new Error(`the first reset opened ${first.opened}`);

  worker = await startWorkerProcess({
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_PREFIX: prefix,
  });
  await events.waitUntilReady();
  const started = performance.now();
  const job = await queue.add(ALLOWANCE_RESET, { organizationId }, { attempts: 1 });
  await job.waitUntilFinished(events, 60 * 60 * 1000);
  const reset = (performance.now() - started) / 1000;

  const check = await sql<{ requests: number; grants: number; expiries: number }>`
    select
      (select count(*)::int from ledger_requests where organization_id = ${organizationId})
        as requests,
      (select count(*)::int from ledger_transfers
        where organization_id = ${organizationId} and kind = 'allowance_grant') as grants,
      (select count(*)::int from ledger_transfers
        where organization_id = ${organizationId} and kind = 'allowance_expire') as expiries`.execute(
    db,
  );
  const counted = check.rows[0];
  // Two periods opened: two requests and two grants a member, one expiry a member.
  if (
    counted?.requests !== 2 * MEMBERS ||
    counted.grants !== 2 * MEMBERS ||
    counted.expiries !== MEMBERS
  ) {
    throw new Error(
      `the resets did not open every member's periods once: ${JSON.stringify(counted)}`,
    );
  }

  const seconds = (value: number) => Number(value.toFixed(3));
  rows = [
    {
      measure: `periodic reset of ${MEMBERS} members through a worker (expire + grant), s`,
      value: seconds(reset),
    },
    { measure: 'periodic reset, members/s', value: Math.round(MEMBERS / reset) },
    {
      measure: `raw INSERT … SELECT of ${2 * MEMBERS} transfer rows, s (baseline, median of 3)`,
      value: seconds(baseline),
    },
    { measure: 'raw insert, rows/s', value: Math.round((2 * MEMBERS) / baseline) },
    {
      measure: 'ratio periodic reset ÷ raw insert (target ≤ 5)',
      value: Number((reset / baseline).toFixed(1)),
    },
    {
      measure: `first reset ever (creates ${2 * MEMBERS} accounts; grant only), in-process, s`,
      value: seconds(firstReset),
    },
  ];
} finally {
  if (worker) await stop(worker);
  await queue.obliterate({ force: true }).catch(() => undefined);
  await events.close();
  await queue.close();
  const keys = await producer.keys(`${prefix}:*`);
  if (keys.length > 0) await producer.del(...keys);
  await producer.quit();
  await listener.quit();
  await db.destroy();
  await dropDatabase();
}

console.log(`\nreset benchmark: ${MEMBERS} members, batches of 2000, one worker process\n`);
console.table(rows);

/**
 * `npm run bench:redeem`: BENCH_REDEMPTIONS (default 5,000) redemptions of webhook rewards,
 * requested by 16 concurrent clients through the reward desk (points held, stock reserved,
 * jobs queued) and fulfilled from the `redemptions` queue by two worker processes
 * (`src/main.ts`, PLAUDIT_ROLE=worker) that POST each signed webhook to a local receiver
 * answering 200, then post the hold and bill; timed from the first request to the last
 * fulfilment. Beside it, in the same run on the same Redis: one BullMQ worker at the real
 * one's concurrency (4) draining BENCH_NOOP_JOBS (default 20,000) no-op jobs.
 *
 * BENCH_DATABASE_URL (the server; the benchmark makes its own database on it) and
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379).
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createOrganization } from '../src/directory/organizations.ts';
import { BullJobs } from '../src/jobs/bullmq-jobs.ts';
import { Ledger } from '../src/ledger/ledger.ts';
import { RewardDesk } from '../src/rewards/reward-desk.ts';
import { verifyWebhookSignature, WEBHOOK_HEADERS } from '../src/rewards/webhook-signature.ts';
import { noopJobsPerSecond } from './bullmq-noop.ts';
import { freshDatabase, SERVER_URL } from './postgres-server.ts';
import { startWorkerProcess } from './worker-process.ts';

const REDEMPTIONS = Number(process.env.BENCH_REDEMPTIONS ?? 5000);
const NOOP_JOBS = Number(process.env.BENCH_NOOP_JOBS ?? 20_000);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLIENTS = 16;
const MEMBERS = 500;
const ITEMS = 10;
const WORKERS = 2;
/** startRedemptionWorkers' concurrency, per worker process. */
const WORKER_CONCURRENCY = 4;
const DATABASE = 'plaudit_bench_redeem';
const SECRET = `bench-webhook-secret-${randomUUID()}`;

for (const [name, value] of Object.entries({
  BENCH_REDEMPTIONS: REDEMPTIONS,
  BENCH_NOOP_JOBS: NOOP_JOBS,
})) {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`${name} must be a whole number of at least 1`);
}

/** A company's webhook: checks the signature, fulfils each key once, answers 200. */
function startReceiver() {
  const keys = new Set<string>();
  const counts = { requests: 0, badSignatures: 0 };
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    counts.requests += 1;
    const signed = verifyWebhookSignature(
      SECRET,
      {
        timestamp: request.headers[WEBHOOK_HEADERS.timestamp] as string | undefined,
        signature: request.headers[WEBHOOK_HEADERS.signature] as string | undefined,
        body: Buffer.concat(chunks).toString('utf8'),
      },
      Math.floor(Date.now() / 1000),
    );
    if (!signed) counts.badSignatures += 1;
    else keys.add(String(request.headers[WEBHOOK_HEADERS.idempotencyKey]));
    response.writeHead(signed ? 200 : 401).end();
  });
  return { server, keys, counts };
}

/** An organization whose members have points to spend, and webhook items to spend them on. */
async function seed(db: Database, ledger: Ledger, desk: RewardDesk, webhookUrl: string) {
  const organization = await createOrganization(db, {
    name: 'Bench',
    timezone: 'UTC',
    currency: 'EUR',
  });
  if (!organization.ok) throw new Error(organization.message);
  const organizationId = organization.value.id;
  const members = await db
    .insertInto('members')
    .values(
      Array.from({ length: MEMBERS }, (_, n) => ({
        organization_id: organizationId,
        display_name: `Member ${n}`,
      })),
    )
    .returning('id')
    .execute();
  const issuance = (await ledger.organizationAccounts(organizationId)).issuance.id;
  for (const { id } of members) {
    const earned = (await ledger.memberAccounts(organizationId, id)).earned.id;
    const credited = await ledger.transfer({
      organizationId,
      idempotencyKey: `bench-earn-${id}`,
      transfers: [
        {
          debitAccountId: issuance,
          creditAccountId: earned,
          amount: 1_000_000,
          kind: 'adjustment',
        },
      ],
    });
    if (!credited.ok) throw new Error(credited.message);
  }
  const items: number[] = [];
  for (let n = 0; n < ITEMS; n++) {
    const item = await desk.catalog.create(organizationId, {
      name: `Gift card ${n}`,
      pointsCost: 10,
      priceMinor: 2500,
      fulfilment: 'webhook',
      webhookUrl,
    });
    if (!item.ok) throw new Error(item.message);
    items.push(item.value.id);
  }
  return { organizationId, members: members.map((member) => member.id), items };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** REDEMPTIONS redemptions by CLIENTS concurrent clients, across the members and items. */
async function requestAll(organizationId: number, members: number[], items: number[]) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let n = next++; n < REDEMPTIONS; n = next++) {
        const member = members[n % MEMBERS] as number;
        const result = await desk.redeem({
          organizationId,
          memberId: member,
          requestedBy: member,
          itemId: items[n % ITEMS] as number,
          requestKey: `bench-redeem-${n}`,
        });
        if (!result.ok) throw new Error(result.message);
      }
    }),
  );
}

async function waitUntilAllFulfilled(organizationId: number, workers: ChildProcess[]) {
  for (;;) {
    const { rows } = await sql<{ fulfilled: number; other: number }>`
      select count(*) filter (where status = 'fulfilled')::int as fulfilled,
        count(*) filter (where status not in ('fulfilled', 'held', 'fulfilling'))::int as other
      from redemptions where organization_id = ${organizationId}`.execute(db);
    const { fulfilled, other } = rows[0] ?? { fulfilled: 0, other: 0 };
    if (other > 0) throw new Error(`${other} redemptions ended otherwise than fulfilled`);
    if (fulfilled === REDEMPTIONS) return;
    if (workers.some((worker) => worker.exitCode !== null)) throw new Error('a worker exited');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const noopRate = await noopJobsPerSecond(REDIS_URL, NOOP_JOBS, WORKER_CONCURRENCY);

const databaseUrl = await freshDatabase(DATABASE);
const prefix = `bench-redeem-${randomUUID()}`;
const logger = pino({ level: 'warn' });
const db = await openDatabase({ url: databaseUrl, poolSize: CLIENTS });
const jobs = new BullJobs({ url: REDIS_URL, prefix, logger });
const ledger = new Ledger(db);
const desk = new RewardDesk(db, ledger, jobs, logger);
const receiver = startReceiver();
await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
const webhookUrl = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/fulfil`;
const workers: ChildProcess[] = [];
let rows: Array<{ measure: string; value: number }>;
try {
  await migrateToLatest(db);
  const { organizationId, members, items } = await seed(db, ledger, desk, webhookUrl);
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    REWARD_WEBHOOK_SECRET: SECRET,
  };
  workers.push(
    ...(await Promise.all(Array.from({ length: WORKERS }, () => startWorkerProcess(env)))),
  );

  const started = performance.now();
  await requestAll(organizationId, members, items);
  const requested = (performance.now() - started) / 1000;
  await waitUntilAllFulfilled(organizationId, workers);
  const endToEnd = (performance.now() - started) / 1000;

  const { rows: checks } = await sql<{ charges: number; p50: number; p99: number }>`
    select (select count(*)::int from billing_charges where organization_id = ${organizationId}) as charges,
      percentile_cont(0.5) within group (order by resolved_at - requested_at) as p50,
      percentile_cont(0.99) within group (order by resolved_at - requested_at) as p99
    from (select extract(epoch from resolved_at) * 1000 as resolved_at,
            extract(epoch from requested_at) * 1000 as requested_at
          from redemptions where organization_id = ${organizationId}) r`.execute(db);
  const check = checks[0];
  if (
    check?.charges !== REDEMPTIONS ||
    receiver.keys.size !== REDEMPTIONS ||
    receiver.counts.badSignatures > 0
  ) {
    throw new Error(
      `not fulfilled once each: ${JSON.stringify({ ...check, keys: receiver.keys.size, ...receiver.counts })}`,
    );
  }
  const perSecond = REDEMPTIONS / endToEnd;
  rows = [
    {
      measure: `${REDEMPTIONS} redemptions requested and fulfilled, end to end, s`,
      value: Number(endToEnd.toFixed(2)),
    },
    {
      measure: 'redemptions/s end to end (2 worker processes × concurrency 4)',
      value: Math.round(perSecond),
    },
    {
      measure: `request phase (${CLIENTS} clients, while the workers fulfil), requests/s`,
      value: Math.round(REDEMPTIONS / requested),
    },
    { measure: 'request → fulfilled latency p50, ms', value: Math.round(Number(check.p50)) },
    { measure: 'request → fulfilled latency p99, ms', value: Math.round(Number(check.p99)) },
    {
      measure: 'webhook requests received (each key fulfilled once)',
      value: receiver.counts.requests,
    },
    {
      measure: `BullMQ no-op jobs/s (1 worker, concurrency ${WORKER_CONCURRENCY}, ${NOOP_JOBS} jobs)`,
      value: Math.round(noopRate),
    },
    {
      measure: 'ratio no-op jobs/s ÷ redemptions/s',
      value: Number((noopRate / perSecond).toFixed(1)),
    },
  ];
} finally {
  await Promise.all(workers.map(stop));
  await jobs.close();
  receiver.server.closeAllConnections();
  receiver.server.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await db.destroy();
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${DATABASE} with (force)`);
  await admin.end();
}

console.log(
  `\nredeem benchmark: ${REDEMPTIONS} webhook redemptions, ${MEMBERS} members, ${ITEMS} items\n`,
);
console.table(rows);

import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { createOrganization } from '../../src/directory/organizations.ts';
import { ALLOWANCE_RESET } from '../../src/jobs/allowance-schedules.ts';
import { allowancePeriodAt } from '../../src/recognition/allowance-period.ts';
import { assetSums, balancesThatDisagreeWithTransfers } from '../support/ledger-invariants.ts';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

const MEMBERS = 10_000;
const GRANT = 100; // recognition_settings' default allowance_amount
const POLL_MS = 10;

/** A worker process, and the application_name its Postgres connections carry (to see them in pg_stat_activity). */
interface NamedWorker extends WorkerProcess {
  readonly appName: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined, or fails naming `what`. */
async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  intervalMs = POLL_MS,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(intervalMs);
  }
}

describe('a worker killed in the middle of an allowance reset', () => {
  const prefix = `test-crash-${randomUUID()}`;
  const workers: NamedWorker[] = [];
  let db: Database;
  let redis: Redis;
  let queue: Queue;
  let organizationId: number;

  function startNamedWorker(name: string): NamedWorker {
    const appName = `plaudit-${name}-${prefix}`.slice(0, 63);
    const worker = {
      ...startWorkerProcess({
        DATABASE_URL: inject('databaseUrl'),
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: prefix,
        // A short lock, so the killed worker's job is taken over within seconds, but not
        // the shortest: at 1 s, a worker whose event loop stalled past half a second under
        // load (CI at load 9) lost its own job's lock, its own stalled check took the job
        // again, and the run that completed it had opened nothing.
        JOBS_LOCK_MS: '5000',
        LOG_LEVEL: 'info',
        PGAPPNAME: appName,
      }),
      appName,
    };
    workers.push(worker);
    return worker;
  }

  /** Members whose period opening is committed: one ledger request each. */
  async function openedCount(): Promise<number> {
    const row = await sql<{ n: number }>`
      select count(*)::int as n from ledger_requests
      where organization_id = ${organizationId} and idempotency_key like 'allowance:%'`.execute(db);
    return row.rows[0]?.n ?? 0;
  }

  async function backendsOf(worker: NamedWorker): Promise<number> {
    const row = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where application_name = ${worker.appName}`.execute(db);
    return row.rows[0]?.n ?? 0;
  }

  beforeAll(async () => {
    db = await openDatabase({ url: inject('databaseUrl'), poolSize: 4 });
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    queue = new Queue('allowance', { connection: redis, prefix });
    const organization = await createOrganization(db, {
      name: `Crash ${prefix}`,
      timezone: 'UTC',
      currency: 'EUR',
    });
    if (!organization.ok) throw new Error(organization.message);
    organizationId = organization.value.id;
    await db
      .insertInto('recognition_settings')
      .values({ organization_id: organizationId })
      .execute();
    await sql`
      insert into members (organization_id, display_name)
      select ${organizationId}, 'Member ' || g from generate_series(1, ${MEMBERS}::int) g`.execute(
      db,
    );
  });

  afterAll(async () => {
    for (const worker of workers) {
      if (worker.running()) worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
    await db?.destroy();
  });

  it('is taken over by a restarted worker, which completes it: every member granted exactly once', async () => {
    const started = performance.now();
    const now = (await sql<{ now: Date }>`select now() as now`.execute(db)).rows[0]?.now as Date;
    const period = allowancePeriodAt(now, 'monthly', 'UTC');

    // The job is waiting before the worker starts, so it takes it as soon as it is up.
    const job = await queue.add(
      ALLOWANCE_RESET,
      { organizationId },
      { attempts: 5, backoff: { type: 'exponential', delay: 1000 } },
    );
    const jobId = job.id as string;

    const first = startNamedWorker('first');
    let backendsSeen = 0;
    // Killed as soon as its first batch (1000 members, one statement) is committed.
    const openedBeforeKill = await pollUntil(
      'the first worker to commit a batch of period openings',
      60_000,
      async () => {
        if (!first.running()) {
          throw new Error(`the first worker exited before the kill:\n${first.output()}`);
        }
        const opened = await openedCount();
        if (opened === 0) backendsSeen = await backendsOf(first);
        return opened > 0 ? opened : undefined;
      },
    );
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAt = performance.now();
    // A statement the killed process had sent may still be running in its backend (and
    // commit); the reset is over for that process once none of its connections is left.
    expect(backendsSeen, 'its connections are visible by application_name').toBeGreaterThan(0);
    await pollUntil('the killed worker’s Postgres connections to close', 30_000, async () =>
      (await backendsOf(first)) === 0 ? true : undefined,
    );
    const openedAfterKill = await openedCount();
    if (openedAfterKill >= MEMBERS) {
      throw new Error(
        `the first worker opened all ${MEMBERS} periods before it was killed (it had ${openedBeforeKill} when polled): the kill came too late to interrupt the reset, so this run proves nothing`,
      );
    }
    expect(openedAfterKill).toBeGreaterThan(0);
    expect(openedAfterKill % 1000).toBe(0); // whole batches: each is one statement
    // Still active: no worker is left to notice that it stalled.
    expect(await queue.getJobState(jobId)).toBe('active');

    const second = startNamedWorker('second');
    const state = await pollUntil(
      'the second worker to take over the stalled job and complete it',
      60_000,
      async () => {
        const current = await queue.getJobState(jobId);
        if (current === 'completed' || current === 'failed') return current;
        if (!second.running()) {
          throw new Error(`the second worker exited:\n${second.output()}`);
        }
        return undefined;
      },
      50,
    );
    const finished = await queue.getJob(jobId);
    expect(state, `${finished?.failedReason ?? ''}\n${second.output()}`).toBe('completed');
    const takeOverMs = Math.round(performance.now() - killedAt);

    // The run that completed it opened exactly the members the killed one had not.
    expect(finished?.progress).toEqual({ done: MEMBERS, opened: MEMBERS - openedAfterKill });

    const requests = await sql<{ n: number; keys: number; others: number }>`
      select count(*)::int as n, count(distinct idempotency_key)::int as keys,
        count(*) filter (where idempotency_key not like ${`%:monthly:${period.firstDay}`})::int
          as others
      from ledger_requests
      where organization_id = ${organizationId} and idempotency_key like 'allowance:%'`.execute(db);
    expect(requests.rows[0]).toEqual({ n: MEMBERS, keys: MEMBERS, others: 0 });

    // Grants per member: every member of the organization has exactly one.
    const grants = await sql<{ members: number; grants: number; most: number; least: number }>`
      with per_member as (
        select m.id, count(t.id)::int as grants, coalesce(sum(t.amount), 0)::int as amount
        from members m
        left join ledger_accounts a
          on a.organization_id = m.organization_id and a.member_id = m.id and a.code = 'allowance'
        left join ledger_transfers t
          on t.credit_account_id = a.id and t.kind = 'allowance_grant'
        where m.organization_id = ${organizationId}
        group by m.id
      )
      select count(*) filter (where grants = 1 and amount = ${GRANT})::int as members,
        sum(grants)::int as grants, max(grants)::int as most, min(grants)::int as least
      from per_member`.execute(db);
    expect(grants.rows[0]).toEqual({ members: MEMBERS, grants: MEMBERS, most: 1, least: 1 });

    const kinds = await sql<{ kind: string; n: number }>`
      select kind, count(*)::int as n from ledger_transfers
      where organization_id = ${organizationId} group by kind`.execute(db);
    expect(kinds.rows).toEqual([{ kind: 'allowance_grant', n: MEMBERS }]);

    expect(await assetSums(db, organizationId)).toEqual([
      { asset: 'allowance', posted: 0, pending: 0 },
      { asset: 'points', posted: 0, pending: 0 },
    ]);
    expect(await balancesThatDisagreeWithTransfers(db, organizationId)).toEqual([]);

    const reset = second
      .output()
      .split('\n')
      .find((line) => line.includes('"msg":"allowance reset"'));
    console.info(
      `worker crash: killed after ${openedAfterKill} of ${MEMBERS} members (${openedBeforeKill} seen when polled); second worker took over and completed the job ${takeOverMs} ms after the kill; ${finished?.attemptsMade} attempts made, stalled ${finished?.stalledCounter ?? '?'} time(s); ${Math.round(performance.now() - started)} ms in all\nsecond worker: ${reset}`,
    );
  }, 120_000);
});

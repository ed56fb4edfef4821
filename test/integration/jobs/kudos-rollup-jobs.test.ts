import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { BullJobs } from '../../../src/jobs/bullmq-jobs.ts';
import {
  KUDOS_ROLLUP_ID,
  KUDOS_ROLLUP_PATTERN,
  keepKudosRollups,
  ROLL_UP_KUDOS,
} from '../../../src/jobs/kudos-rollup-jobs.ts';
import { startLedgerVerificationWorker } from '../../../src/jobs/ledger-verification-jobs.ts';
import { type AdminFixture, createAdminFixture } from '../../support/admin-fixture.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { until } from '../../support/until.ts';

/**
 * The console's roll-ups (migrations/0027) are kept by a job on the ledger queue, scheduled
 * every hour by each process that takes jobs: here through real BullMQ on Redis.
 */
describe('the kudos roll-up job', () => {
  const prefix = `test-rollups-${randomUUID()}`;
  const logger = pino({ level: 'silent' });
  let db: Database;
  let f: AdminFixture & { close(): Promise<void> };
  let jobs: BullJobs;
  let queue: Queue;

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    f = await createAdminFixture(db, {
      members: { Ana: { roles: ['member', 'admin'] } },
      timezone: 'Pacific/Kiritimati',
    });
    jobs = new BullJobs({ url: inject('redisUrl'), prefix, logger });
    queue = new Queue('ledger', { connection: { url: inject('redisUrl') }, prefix });
  });
  afterAll(async () => {
    await jobs?.close();
    await queue?.close();
    const redis = new Redis(inject('redisUrl'));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await f?.close();
    await db?.destroy();
  });

  it('is scheduled on the ledger queue every hour, at minute 7', async () => {
    const stop = new AbortController();
    await keepKudosRollups(jobs, logger, stop.signal);
    stop.abort();
    expect(await queue.getJobSchedulers()).toEqual([
      expect.objectContaining({ key: KUDOS_ROLLUP_ID, pattern: KUDOS_ROLLUP_PATTERN }),
    ]);
  });

  it('rolls each organization up through the day before its local today, when the ledger worker runs it', async () => {
    const closedThrough = async () => {
      const { rows } = await sql<{ through: string | null; yesterday: string }>`
        select to_char(s.closed_through, 'YYYY-MM-DD') as through,
          to_char((now() at time zone o.timezone)::date - 1, 'YYYY-MM-DD') as yesterday
        from organizations o left join kudos_rollup_state s on s.organization_id = o.id
        where o.id = ${f.organizationId}`.execute(db);
      return rows[0];
    };
    expect((await closedThrough())?.through ?? null).toBeNull();
    startLedgerVerificationWorker(jobs, db, logger);
    await jobs.add('ledger', ROLL_UP_KUDOS, {});
    await until(async () => (await closedThrough())?.through != null);
    const state = await closedThrough();
    expect(state?.through).toBe(state?.yesterday);
  });
});

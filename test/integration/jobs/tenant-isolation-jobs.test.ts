import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { overviewFigures } from '../../../src/console/overview-figures.ts';
import { type Database, openDatabase } from '../../../src/db/database.ts';
import type { Member } from '../../../src/directory/members.ts';
import {
  RESET_SCHEDULES_ID,
  resetScheduleId,
  SCHEDULE_ALLOWANCE_RESETS,
  scheduleAllAllowanceResets,
} from '../../../src/jobs/allowance-schedules.ts';
import { BullJobs } from '../../../src/jobs/bullmq-jobs.ts';
import {
  startLedgerVerificationWorker,
  VERIFY_LEDGER,
} from '../../../src/jobs/ledger-verification-jobs.ts';
import { keepSchedules, startWorkers } from '../../../src/jobs/workers.ts';
import {
  createRecognitionServices,
  type RecognitionServices,
} from '../../../src/recognition/recognition-services.ts';
import {
  type RedemptionWebhookPayload,
  startRedemptionWorkers,
} from '../../../src/rewards/redemption-jobs.ts';
import type { Redemption } from '../../../src/rewards/redemptions.ts';
import {
  EXPIRE_REDEMPTION,
  FULFIL_REDEMPTION,
  RewardDesk,
} from '../../../src/rewards/reward-desk.ts';
import { lastVerification } from '../../../src/verification/verification-record.ts';
import { openTestDatabase } from '../../support/databases.ts';
import { createFreshDatabase, type FreshDatabase } from '../../support/fresh-database.ts';
import {
  nudgeBalanceRow,
  pastTheTriggers,
  populatedOrganization,
} from '../../support/ledger-corruption.ts';
import { key } from '../../support/ledger-fixture.ts';
import { organizationSnapshot as snapshot } from '../../support/organization-snapshot.ts';
import {
  createRecognitionFixture,
  type RecognitionFixture,
} from '../../support/recognition-fixture.ts';
import { createRewardsFixture, type RewardsFixture } from '../../support/rewards-fixture.ts';
import { until } from '../../support/until.ts';
import { receiverAllowList, startWebhookReceiver } from '../../support/webhook-receiver.ts';

const logger = pino({ level: 'silent' });
const SECRET = 'webhook-test-secret-0123456789abcdef';

/** Jobs on BullMQ with a key prefix of their own, and a queue handle to watch them. */
function bullQueues(label: string) {
  const prefix = `test-${label}-${randomUUID()}`;
  const jobs = new BullJobs({ url: inject('redisUrl'), prefix, logger, closeGraceMs: 2000 });
  const queues = new Map<string, Queue>();
  const queue = (name: 'allowance' | 'ledger' | 'redemptions') => {
    let found = queues.get(name);
    if (!found) {
      found = new Queue(name, { connection: { url: inject('redisUrl') }, prefix });
      queues.set(name, found);
    }
    return found;
  };
  return {
    jobs,
    queue,
    /** Waits until a job has finished; its state then, completed or failed. */
    async finished(name: 'allowance' | 'ledger' | 'redemptions', jobId: string) {
      await until(async () => (await queue(name).getJob(jobId))?.finishedOn !== undefined);
      return queue(name).getJobState(jobId);
    },
    async close() {
      await jobs.close();
      for (const open of queues.values()) await open.close();
      const redis = new Redis(inject('redisUrl'));
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
}

/**
 * Two organizations on one deployment, their jobs run by BullMQ on Redis as a worker
 * runs them: each job touches its own organization only, whatever the other holds.
 */
describe('tenant isolation of the jobs', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.destroy();
  });

  describe('allowance resets, each on its organization’s cadence and time zone', () => {
    const bull = bullQueues('orgs-reset');
    let services: RecognitionServices;
    let a: RecognitionFixture;
    let b: RecognitionFixture;
    beforeAll(async () => {
      services = createRecognitionServices(db);
      startWorkers({ db, services, jobs: bull.jobs, logger });
      const settings = (cadence: string, amount: number) => ({
        allowance_cadence: cadence,
        allowance_amount: amount,
        rollover_cap: 0,
        prorate_new_members: false,
      });
      a = await createRecognitionFixture(db, {
        members: { Aiko: {}, Ren: {} },
        timezone: 'Asia/Tokyo',
        settings: settings('weekly', 30),
        services,
      });
      b = await createRecognitionFixture(db, {
        members: { Bob: {}, Cy: {} },
        timezone: 'America/New_York',
        settings: settings('quarterly', 70),
        services,
      });
    });
    afterAll(async () => {
      await bull.close();
    });

    const allowanceOf = async (f: RecognitionFixture) => {
      const left: Record<string, number> = {};
      for (const [name, member] of Object.entries(f.members)) {
        const accounts = await f.services.ledger.memberAccounts(f.organizationId, member.id);
        const balances = await f.services.ledger.balances([accounts.allowance.id]);
        left[name] = balances.get(accounts.allowance.id)?.available ?? 0;
      }
      return left;
    };
    /** Runs an organization's scheduled reset now, as its schedule will: its next job, early. */
    const runScheduled = async (f: RecognitionFixture) => {
      const delayed = await bull.queue('allowance').getDelayed();
      const job = delayed.find((found) => found.repeatJobKey === resetScheduleId(f.organizationId));
      expect(job?.data).toEqual({ organizationId: f.organizationId });
      await job?.promote();
      expect(await bull.finished('allowance', job?.id as string)).toBe('completed');
    };

    it('schedules each organization in its own zone, and each reset opens only its members', async () => {
      await scheduleAllAllowanceResets(bull.jobs, db);
      const scheduler = (f: RecognitionFixture) =>
        bull.queue('allowance').getJobScheduler(resetScheduleId(f.organizationId));
      expect(await scheduler(a)).toMatchObject({ pattern: '1 0 * * 1', tz: 'Asia/Tokyo' });
      expect(await scheduler(b)).toMatchObject({
        pattern: '1 0 1 1,4,7,10 *',
        tz: 'America/New_York',
      });

      const beforeB = await snapshot(db, b.organizationId);
      await runScheduled(a);
      expect(await allowanceOf(a)).toEqual({ Aiko: 30, Ren: 30 });
      expect(await snapshot(db, b.organizationId)).toEqual(beforeB);

      const afterA = await snapshot(db, a.organizationId);
      await runScheduled(b);
      expect(await allowanceOf(b)).toEqual({ Bob: 70, Cy: 70 });
      expect(await snapshot(db, a.organizationId)).toEqual(afterA);
      expect(await allowanceOf(a)).toEqual({ Aiko: 30, Ren: 30 });
    });

    it('schedules the resets of an organization created after the schedules were kept', async () => {
      // What every process does at start.
      await keepSchedules(bull.jobs, db, logger, new AbortController().signal);
      // A workspace installed meanwhile: an organization of its own, in its own zone.
      const c = await createRecognitionFixture(db, {
        members: { Cleo: {} },
        timezone: 'Pacific/Auckland',
        services,
      });
      const scheduler = () =>
        bull.queue('allowance').getJobScheduler(resetScheduleId(c.organizationId));
      expect(await scheduler()).toBeUndefined();
      // The upkeep's next run, early.
      const delayed = await bull.queue('allowance').getDelayed();
      const upkeep = delayed.find((job) => job.repeatJobKey === RESET_SCHEDULES_ID);
      expect(upkeep?.name).toBe(SCHEDULE_ALLOWANCE_RESETS);
      expect(await bull.queue('allowance').getJobScheduler(RESET_SCHEDULES_ID)).toMatchObject({
        pattern: '*/10 * * * *',
        tz: 'UTC',
      });
      await upkeep?.promote();
      expect(await bull.finished('allowance', upkeep?.id as string)).toBe('completed');
      expect(await scheduler()).toMatchObject({ pattern: '1 0 1 * *', tz: 'Pacific/Auckland' });
    });
  });

  describe('redemptions', () => {
    // A database of its own: B's hold is made due below, and a sweep of redemptions walks
    // every organization of its database (test/integration/rewards/webhook-fulfilment.test.ts
    // runs one on the shared database, which voided it there when the two files overlapped).
    let fresh: FreshDatabase;
    let own: Database;
    const bull = bullQueues('orgs-redeem');
    let a: RewardsFixture;
    let b: RewardsFixture;
    let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
    beforeAll(async () => {
      fresh = await createFreshDatabase('orgs_redeem', { migrated: true });
      own = await openDatabase({ url: fresh.url, poolSize: 4 });
      receiver = await startWebhookReceiver(() => 200);
      const organization = async (names: [string, string]) => {
        const f = await createRewardsFixture(own, {
          members: { [names[0]]: {}, [names[1]]: { roles: ['hr'] } },
          jobs: bull.jobs,
          webhookAllowList: receiverAllowList,
        });
        await f.earn(names[0], 500);
        return f;
      };
      a = await organization(['Ana', 'Hal']);
      b = await organization(['Bea', 'Hugo']);
      const desk = new RewardDesk(own, a.desk.ledger, bull.jobs, logger, {
        webhookRetries: { attempts: 1, backoffMs: 50 },
      });
      startRedemptionWorkers(bull.jobs, desk, {
        webhookSecret: SECRET,
        allowList: receiverAllowList,
        logger,
      });
    });
    afterAll(async () => {
      await bull.close();
      await receiver?.close();
      await own?.destroy();
      await fresh?.drop();
    });

    const redeem = async (f: RewardsFixture, name: string, itemId: number): Promise<Redemption> => {
      const memberId = (f.members[name] as Member).id;
      const result = await f.desk.redeem({
        organizationId: f.organizationId,
        memberId,
        requestedBy: memberId,
        itemId,
        requestKey: key('redeem'),
      });
      if (!result.ok) throw new Error(result.message);
      return result.value.redemption;
    };

    it('fulfils, bills and expires in its own organization only, even when a job names another’s redemption', async () => {
      const card = await a.item({
        name: 'Gift card',
        pointsCost: 200,
        priceMinor: 2500,
        fulfilment: 'webhook',
        webhookUrl: receiver.url,
      });
      const mug = await b.item({ name: 'Mug', pointsCost: 100, priceMinor: 900 });
      const ofB = await redeem(b, 'Bea', mug);
      // B's hold is due: an expiry job would end it now.
      await own
        .updateTable('redemptions')
        .set({ expires_at: new Date(Date.now() - 60_000) })
        .where('id', '=', ofB.id)
        .execute();
      const beforeB = await snapshot(own, b.organizationId);

      const ofA = await redeem(a, 'Ana', card);
      expect(await bull.finished('redemptions', `redemption-${ofA.id}`)).toBe('completed');
      expect((await a.desk.redemptions.find(a.organizationId, ofA.id))?.status).toBe('fulfilled');
      const charges = await own
        .selectFrom('billing_charges')
        .select(['organization_id', 'redemption_id'])
        .where('organization_id', 'in', [a.organizationId, b.organizationId])
        .execute();
      expect(charges).toEqual([{ organization_id: a.organizationId, redemption_id: ofA.id }]);
      expect(
        receiver.requests.map((request) => {
          const payload = JSON.parse(request.body) as RedemptionWebhookPayload;
          return [payload.organizationId, payload.redemption.id];
        }),
      ).toEqual([[a.organizationId, ofA.id]]);

      // Jobs that name A with B's redemption (a forged or mixed-up job) find nothing of B.
      const crossed = { organizationId: a.organizationId, redemptionId: ofB.id };
      await bull.jobs.add('redemptions', FULFIL_REDEMPTION, crossed, {
        jobId: 'crossed-fulfil',
        attempts: 1,
      });
      await bull.jobs.add('redemptions', EXPIRE_REDEMPTION, crossed, {
        jobId: 'crossed-expiry',
        attempts: 1,
      });
      expect(await bull.finished('redemptions', 'crossed-fulfil')).toBe('completed');
      expect(await bull.finished('redemptions', 'crossed-expiry')).toBe('failed');
      expect((await bull.queue('redemptions').getJob('crossed-expiry'))?.failedReason).toBe(
        `redemption ${ofB.id}: There is no redemption #${ofB.id}.`,
      );
      expect(await snapshot(own, b.organizationId)).toEqual(beforeB);
      expect((await b.desk.redemptions.find(b.organizationId, ofB.id))?.status).toBe('held');
    });
  });

  describe('the scheduled ledger verification', () => {
    // A database of its own: the verification walks every organization in it.
    let fresh: FreshDatabase;
    let own: Database;
    const bull = bullQueues('orgs-verify');
    beforeAll(async () => {
      fresh = await createFreshDatabase('orgs_verify', { migrated: true });
      own = await openDatabase({ url: fresh.url, poolSize: 4 });
      startLedgerVerificationWorker(bull.jobs, own, logger);
    });
    afterAll(async () => {
      await bull.close();
      await own?.destroy();
      await fresh?.drop();
    });

    it('reports each organization on its own: a corrupted B, or one the checks cannot read, leaves A verified clean', async () => {
      const a = await populatedOrganization(own);
      const b = await populatedOrganization(own);
      await nudgeBalanceRow(own, b.ana.earned, 5);
      // C's balance row set by hand past what the checks' arithmetic holds: the database
      // refuses to subtract its totals (bigint out of range).
      const c = await populatedOrganization(own);
      await pastTheTriggers(own, (trx) =>
        sql`update ledger_balances set credits_posted = 9223372036854775807, debits_posted = -10
          where account_id = ${c.ana.earned}`.execute(trx),
      );

      await bull.jobs.add('ledger', VERIFY_LEDGER, {}, { jobId: 'verify-now', attempts: 1 });
      expect(await bull.finished('ledger', 'verify-now')).toBe('completed');
      const record = await lastVerification(own);
      expect(record).toMatchObject({ organizations: 3, violations: 4 });
      expect(record?.byOrganization).toEqual(
        new Map([
          [b.organizationId, 3],
          [c.organizationId, 1],
        ]),
      );
      expect(record?.sample.map((found) => found.organizationId)).toEqual([
        b.organizationId,
        b.organizationId,
        b.organizationId,
        c.organizationId,
      ]);
      expect(record?.sample[3]?.line).toBe(
        `organization ${c.organizationId}: checks_failed (the checks of the ledger and rewards): expected them to run, found the database refused them: bigint out of range`,
      );
      // What each organization's admins see on the console's overview.
      const services = createRecognitionServices(own);
      const seen = async (organizationId: number) =>
        (await overviewFigures(services, organizationId)).ledger?.problems;
      expect(await seen(a.organizationId)).toBe(0);
      expect(await seen(b.organizationId)).toBe(3);
    });
  });
});

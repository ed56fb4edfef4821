import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { BullJobs } from '../../src/jobs/bullmq-jobs.ts';
import { webhookIdempotencyKey } from '../../src/rewards/redemption-jobs.ts';
import { FULFIL_REDEMPTION, type RedemptionJob } from '../../src/rewards/reward-desk.ts';
import { key } from '../support/ledger-fixture.ts';
import { assetSums, balancesThatDisagreeWithTransfers } from '../support/ledger-invariants.ts';
import { createRewardsFixture, type RewardsFixture } from '../support/rewards-fixture.ts';
import { SeededRandom, testSeed } from '../support/seeded-random.ts';
import { until } from '../support/until.ts';
import {
  RECEIVER_ALLOWED_HOSTS,
  type ReceivedWebhook,
  receiverAllowList,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../support/webhook-receiver.ts';
import { type KillPlan, WorkerFleet } from '../support/worker-fleet.ts';

const KILLS = 50;
/** Processes up at once: starting one takes about 2 s of CPU, so others work meanwhile. */
const LIVE_WORKERS = 3;
/** A killed worker's jobs are taken over about a second after it died. */
const LOCK_MS = 1000;
/** Held redemptions under which more are requested, so every planned kill finds work. */
const LOW_WATER = 30;
const MEMBERS = ['Ana', 'Bo', 'Cy', 'Di', 'Ed', 'Fa', 'Gu', 'Hu'];
const STOCK = 100_000;
/**
 * BullMQ fails a job whose worker died with it more than `maxStalledCount` times (5, in
 * bullmq-jobs.ts) — its guard against a job that kills its workers. A stalled job goes
 * back to the head of the queue, so killing fifty times in a minute can hit one job six
 * times. Its redemption then stays held, unbilled, for HR (the failed job is on the
 * dashboard); here HR settles it by hand, and every check below holds for it too.
 */
const STALLED_TOO_OFTEN = 'job stalled more than allowable limit';

describe('worker processes killed with SIGKILL during webhook fulfilment', () => {
  const prefix = `test-redeem-crash-${randomUUID()}`;
  let db: Database;
  let redis: Redis;
  let jobs: BullJobs;
  let queue: Queue;
  let notifications: Queue;
  let receiver: WebhookReceiver | undefined;
  let fleet: WorkerFleet | undefined;

  beforeAll(async () => {
    // The test's own requests, up to 60 at once, queue on the gift card's row lock behind
    // the workers: on a busy machine (load 14) the last waited past Plaudit's 10 s default.
    // A minute still fails a lock that is never let go, with Postgres' own error. They wait
    // for one of the pool's 8 connections as long: at load 13, one waited past pg's 5 s.
    db = await openDatabase({
      url: inject('databaseUrl'),
      poolSize: 8,
      statementTimeoutMs: 60_000,
      connectTimeoutMs: 60_000,
    });
    redis = new Redis(inject('redisUrl'));
    jobs = new BullJobs({ url: inject('redisUrl'), prefix, logger: pino({ level: 'silent' }) });
    queue = new Queue('redemptions', { connection: { url: inject('redisUrl') }, prefix });
    notifications = new Queue('notifications', { connection: { url: inject('redisUrl') }, prefix });
  });

  afterAll(async () => {
    await fleet?.stop();
    await receiver?.close();
    await jobs?.close();
    await queue?.close();
    await notifications?.close();
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
    await db?.destroy();
  });

  it('ends every redemption fulfilled or voided, each fulfilled one billed once, the ledger balanced', async () => {
    const started = performance.now();
    const random = new SeededRandom(testSeed('redemption worker crash'));
    // The seed fixes where each process dies and which held redemption (by age) HR rejects
    // after each kill; how jobs interleave between processes still varies run to run.
    const plans: KillPlan[] = Array.from({ length: KILLS }, () => ({
      atRequest: random.int(3, 12),
      phase: random.chance(0.5) ? 'before-answer' : 'after-answer',
      delayMs: random.int(0, 40),
    }));
    const workers = new WorkerFleet(
      {
        DATABASE_URL: inject('databaseUrl'),
        // Small, to catch a fulfilment that takes a second connection while holding one.
        DATABASE_POOL_SIZE: '4',
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: prefix,
        JOBS_LOCK_MS: String(LOCK_MS),
        LOG_LEVEL: 'warn',
        REWARD_WEBHOOK_ALLOWED_HOSTS: RECEIVER_ALLOWED_HOSTS,
      },
      plans,
      LIVE_WORKERS,
    );
    fleet = workers;

    // A company's receiver: it fulfils a key the first time it sees it, and answers 200 to
    // repeats. Requests are kept by key.
    const deliveries = new Map<string, ReceivedWebhook[]>();
    let unsigned = 0;
    receiver = await startWebhookReceiver(async (request) => {
      const sender = workers.senderOf(request);
      if (!sender || !request.idempotencyKey) {
        unsigned += 1;
        return 401;
      }
      const key = request.idempotencyKey;
      deliveries.set(key, [...(deliveries.get(key) ?? []), request]);
      await workers.tookRequest(sender);
      return 200;
    });

    const shop = await giftCardShop(receiver.url);
    const rejections = await crashWhileRedeeming(shop, workers, random);
    const killedAt = performance.now();
    const finished = await fulfilJobsWhenAllFinished(shop, workers);
    const givenUp = finished.filter((job) => job.failedReason);
    const settledByHand = await settleGivenUp(shop, givenUp, deliveries);
    const { rejectedAfterDelivery } = await checkOutcome(shop, deliveries, settledByHand);
    expect(unsigned, 'requests not signed by a worker’s secret').toBe(0);
    expect(receiver.failures).toEqual([]);

    const repeated = [...deliveries.values()].filter((list) => list.length > 1).length;
    const stalls = finished.reduce((sum, job) => sum + (job.stalledCounter ?? 0), 0);
    const beforeAnswer = plans.filter((plan) => plan.phase === 'before-answer').length;
    const startups = workers.startupTimes().sort((a, b) => a - b);
    console.info(
      `redemption worker crash: ${KILLS} kills (${beforeAnswer} before the receiver answered, ${KILLS - beforeAnswer} after), ${workers.workers.length} worker processes (median ${Math.round(startups[Math.floor(startups.length / 2)] ?? 0)} ms from spawn to first webhook); ${finished.length} redemptions, ${rejections} rejected by HR during the run (${rejectedAfterDelivery} of them after the receiver had taken the webhook); ${deliveries.size} keys delivered, ${repeated} of them more than once; ${stalls} stalled runs taken over; ${givenUp.length} jobs given up after stalling too often (settled by HR); done ${Math.round(performance.now() - killedAt)} ms after the last kill, ${Math.round(performance.now() - started)} ms in all`,
    );
    // A limit for a hang: its 53 process starts took 52 s quiet, 242 s at load 13.
  }, 600_000);

  interface Shop {
    readonly f: RewardsFixture;
    readonly item: number;
    readonly hr: { memberId: number | null; reason: string };
  }

  /** An organization whose members have points, and a webhook gift card with ample stock. */
  async function giftCardShop(webhookUrl: string): Promise<Shop> {
    const f = await createRewardsFixture(db, {
      members: { ...Object.fromEntries(MEMBERS.map((name) => [name, {}])), Hal: { roles: ['hr'] } },
      jobs,
      webhookAllowList: receiverAllowList,
    });
    for (const name of MEMBERS) await f.earn(name, 1_000_000);
    const item = await f.item({
      name: 'Gift card',
      pointsCost: 10,
      priceMinor: 2500,
      stock: STOCK,
      fulfilment: 'webhook',
      webhookUrl,
    });
    return { f, item, hr: { memberId: f.members.Hal?.id ?? null, reason: 'decided by HR' } };
  }

  /**
   * Keeps redemptions coming while the fleet's planned kills happen; after each kill, HR
   * rejects the held redemption of a drawn rank by age, racing the workers for it. Returns
   * how many rejections won.
   */
  async function crashWhileRedeeming(
    { f, item, hr }: Shop,
    workers: WorkerFleet,
    random: SeededRandom,
  ): Promise<number> {
    const held = async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from redemptions
        where organization_id = ${f.organizationId} and status = 'held'`.execute(db);
      return rows[0]?.n ?? 0;
    };
    await redeem(f, item, 2 * LOW_WATER);
    workers.start();
    let rejections = 0;
    while (workers.kills < KILLS) {
      const seen = workers.kills;
      await until(
        async () =>
          workers.kills > seen ||
          workers.diedUnexpectedly() !== undefined ||
          (await held()) < LOW_WATER,
        120_000,
        20,
      );
      failIfDied(workers);
      for (let kill = seen; kill < workers.kills; kill++) {
        const oldest = await f.desk.redemptions.held(f.organizationId, 20);
        const pick = oldest[random.int(0, 19) % Math.max(1, oldest.length)];
        if (pick && (await f.desk.resolve(f.organizationId, pick.id, 'rejected', hr)).ok) {
          rejections += 1;
        }
      }
      if (workers.kills < KILLS && (await held()) < LOW_WATER) {
        await redeem(f, item, LOW_WATER + 10);
      }
    }
    return rejections;
  }

  /**
   * Waits until every redemption's fulfilment job has finished: the last processes have no
   * kill planned, and take over the stalled jobs too. Only BullMQ's stall limit may fail one.
   */
  async function fulfilJobsWhenAllFinished({ f }: Shop, workers: WorkerFleet) {
    const total = await db
      .selectFrom('redemptions')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('organization_id', '=', f.organizationId)
      .executeTakeFirstOrThrow();
    const finished = async () =>
      (await queue.getJobs(['completed', 'failed'])).filter(
        (job) => job.name === FULFIL_REDEMPTION,
      );
    await until(
      async () => workers.diedUnexpectedly() !== undefined || (await finished()).length === total.n,
      120_000,
      100,
    );
    failIfDied(workers);
    const jobs = await finished();
    expect(
      jobs
        .filter((job) => job.failedReason && job.failedReason !== STALLED_TOO_OFTEN)
        .map((job) => `${job.id}: ${job.failedReason}`),
      'fulfilment jobs that failed for another reason',
    ).toEqual([]);
    return jobs;
  }

  /** HR settles the redemptions of given-up jobs: fulfilled if delivered, else rejected. */
  async function settleGivenUp(
    { f, hr }: Shop,
    givenUp: ReadonlyArray<{ data: unknown }>,
    deliveries: Map<string, ReceivedWebhook[]>,
  ): Promise<Set<number>> {
    const settled = new Set<number>();
    for (const job of givenUp) {
      const { redemptionId } = job.data as RedemptionJob;
      // A given-up job leaves its redemption being fulfilled; the sweep gives it back to HR
      // once no worker has tried it for longer than a job's retries (done here at once).
      await f.desk.redemptions.returnToHeld({ organizationId: f.organizationId, redemptionId });
      const redemption = await f.desk.redemptions.find(f.organizationId, redemptionId);
      // Already ended (HR rejected it meanwhile, or a run committed before its worker
      // died): nothing is left for HR.
      if (redemption?.status !== 'held') continue;
      const delivered = deliveries.has(webhookIdempotencyKey(redemption));
      const outcome = delivered ? 'fulfilled' : 'rejected';
      expect((await f.desk.resolve(f.organizationId, redemptionId, outcome, hr)).ok).toBe(true);
      settled.add(redemptionId);
    }
    // A run that committed and died before telling the member, whose job was then given
    // up, left the member untold: the sweep tells them (done here at once).
    if (givenUp.length > 0) {
      await f.desk.tellUntold({ graceSeconds: 0, organizationId: f.organizationId });
    }
    return settled;
  }

  function failIfDied(workers: WorkerFleet): void {
    const dead = workers.diedUnexpectedly();
    if (dead) throw new Error(`a worker exited without being killed:\n${dead.output()}`);
  }

  async function redeem(f: RewardsFixture, itemId: number, count: number): Promise<void> {
    await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const member = f.members[MEMBERS[index % MEMBERS.length] as string];
        if (!member) throw new Error('no member');
        const result = await f.desk.redeem({
          organizationId: f.organizationId,
          memberId: member.id,
          requestedBy: member.id,
          itemId,
          requestKey: key('crash-redeem'),
        });
        if (!result.ok) throw new Error(result.message);
      }),
    );
  }

  /**
   * Every redemption ended fulfilled (hold posted, billed once, delivered) or rejected (hold
   * voided, not billed); the stock, the ledger and the members' messages agree.
   */
  async function checkOutcome(
    { f, item: itemId }: Shop,
    deliveries: Map<string, ReceivedWebhook[]>,
    settledByHand: Set<number>,
  ): Promise<{ rejectedAfterDelivery: number }> {
    const { rows } = await sql<{
      id: number;
      status: string;
      told: string | null;
      hold: string;
      charges: number;
    }>`
      select r.id, r.status, r.told_status as told, t.status as hold,
        (select count(*)::int from billing_charges c where c.redemption_id = r.id) as charges
      from redemptions r join ledger_transfers t on t.id = r.hold_transfer_id
      where r.organization_id = ${f.organizationId} order by r.id`.execute(db);
    const fulfilled = rows.filter((row) => row.status === 'fulfilled');
    const rejected = rows.filter((row) => row.status === 'rejected');
    expect(
      rows.filter((row) => !['fulfilled', 'rejected'].includes(row.status)),
      'redemptions neither fulfilled nor rejected',
    ).toEqual([]);
    expect(
      fulfilled.filter((row) => row.charges !== 1 || row.hold !== 'posted_from_pending'),
    ).toEqual([]);
    expect(rejected.filter((row) => row.charges !== 0 || row.hold !== 'voided')).toEqual([]);

    const steps = await sql<{ step: string; n: number }>`
      select split_part(idempotency_key, ':', 2) as step, count(*)::int as n
      from ledger_requests
      where organization_id = ${f.organizationId} and idempotency_key like 'redemption:%'
      group by 1 order by 1`.execute(db);
    expect(steps.rows).toEqual([
      { step: 'hold', n: rows.length },
      { step: 'post', n: fulfilled.length },
      { step: 'redeem', n: fulfilled.length },
      ...(rejected.length > 0 ? [{ step: 'void', n: rejected.length }] : []),
    ]);
    const item = await f.desk.catalog.find(f.organizationId, itemId);
    expect(item.ok && item.value.stock).toBe(STOCK - fulfilled.length);
    expect(await assetSums(db, f.organizationId)).toEqual([
      { asset: 'allowance', posted: 0, pending: 0 },
      { asset: 'points', posted: 0, pending: 0 },
    ]);
    expect(await balancesThatDisagreeWithTransfers(db, f.organizationId)).toEqual([]);

    // However often a key came, it came with the same body, which names the same key.
    for (const [idempotencyKey, list] of deliveries) {
      expect(new Set(list.map((request) => request.body)).size, idempotencyKey).toBe(1);
      expect(JSON.parse(list[0]?.body ?? '{}').idempotencyKey).toBe(idempotencyKey);
    }
    // One key per redemption, on every try by every process: the receiver fulfils it once.
    const keysOf = new Map<number, number>();
    for (const list of deliveries.values()) {
      const id = JSON.parse(list[0]?.body ?? '{}').redemption.id as number;
      keysOf.set(id, (keysOf.get(id) ?? 0) + 1);
    }
    expect(
      [...keysOf].filter(([, keys]) => keys > 1).map(([id]) => id),
      'redemptions delivered under more than one key',
    ).toEqual([]);
    expect(
      fulfilled.filter((row) => !keysOf.has(row.id) && !settledByHand.has(row.id)),
      'fulfilled by a worker without a delivery',
    ).toEqual([]);
    expect(
      [...deliveries.values()].some((list) => list.length > 1),
      'a key delivered again (a kill between a delivery and the end of its job)',
    ).toBe(true);

    // Each member was told how their redemption ended, even by a worker that died right
    // after: the message is on this test's queue, or (told_status) another process's
    // sweep queued it on its own (other test files sweep the same database).
    const untold: number[] = [];
    for (const row of [...fulfilled, ...rejected]) {
      const queued = await notifications.getJob(`redemption-${row.id}-${row.status}`);
      if (!queued && row.told !== row.status) untold.push(row.id);
    }
    expect(untold, 'redemptions whose member was never told').toEqual([]);
    // A redemption the receiver took is being fulfilled, which HR cannot reject: no reward
    // goes out unbilled.
    const rejectedAfterDelivery = rejected.filter((row) => keysOf.has(row.id)).length;
    expect(rejectedAfterDelivery, 'rejected by HR after the receiver had taken it').toBe(0);
    return { rejectedAfterDelivery };
  }
});

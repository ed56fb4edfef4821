import { createHmac, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AdminActor } from '../../../src/admin/admin-actor.ts';
import { seedApiToken } from '../../../src/admin/api-tokens.ts';
import { settlesWithin } from '../../../src/core/deadline.ts';
import { type Database, openDatabase } from '../../../src/db/database.ts';
import { BullJobs } from '../../../src/jobs/bullmq-jobs.ts';
import { Ledger } from '../../../src/ledger/ledger.ts';
import {
  keepRedemptionSweep,
  REDEMPTION_SWEEP_ID,
  type RedemptionWebhookPayload,
  type RedemptionWorkerOptions,
  startRedemptionWorkers,
  webhookIdempotencyKey,
} from '../../../src/rewards/redemption-jobs.ts';
import type { Redemption, Resolution } from '../../../src/rewards/redemptions.ts';
import { RewardDesk, SWEEP_REDEMPTIONS } from '../../../src/rewards/reward-desk.ts';
import { WebhookAllowList } from '../../../src/rewards/webhook-addresses.ts';
import type { ResolveHost } from '../../../src/rewards/webhook-connections.ts';
import { verifyWebhookSignature } from '../../../src/rewards/webhook-signature.ts';
import { createFreshDatabase, type FreshDatabase } from '../../support/fresh-database.ts';
import { key } from '../../support/ledger-fixture.ts';
import { assetSums, balancesThatDisagreeWithTransfers } from '../../support/ledger-invariants.ts';
import { createRewardsFixture, type RewardsFixture } from '../../support/rewards-fixture.ts';
import { until } from '../../support/until.ts';
import {
  receiverAllowList,
  startWebhookReceiver,
  type WebhookAnswer,
} from '../../support/webhook-receiver.ts';

const SECRET = 'webhook-test-secret-0123456789abcdef';
const logger = pino({ level: 'silent' });

describe('webhook fulfilment of redemptions, on BullMQ (real Redis) and Postgres', () => {
  // A database of its own: the sweeps below expire every due hold, return every stalled
  // fulfilment and tell every untold member of every organization in it, which on the
  // shared database reached other files' redemptions mid-test.
  let fresh: FreshDatabase;
  let db: Database;
  let redis: Redis;
  const cleanups: Array<() => Promise<void>> = [];
  let checkedOrganization: number | undefined;

  beforeAll(async () => {
    fresh = await createFreshDatabase('webhook_fulfilment', { migrated: true });
    db = await openDatabase({ url: fresh.url, poolSize: 24 });
    redis = new Redis(inject('redisUrl'));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    if (checkedOrganization === undefined) return;
    expect(await assetSums(db, checkedOrganization)).toEqual([
      { asset: 'allowance', posted: 0, pending: 0 },
      { asset: 'points', posted: 0, pending: 0 },
    ]);
    expect(await balancesThatDisagreeWithTransfers(db, checkedOrganization)).toEqual([]);
  });
  afterAll(async () => {
    redis?.disconnect();
    await db?.destroy();
    await fresh?.drop();
  });

  /**
   * A new organization (Ana earns 500 points; Hal is HR), a reward desk on BullMQ with a
   * fresh key prefix, and a webhook receiver answering as told. Retries are 50 ms apart
   * here (production: 5 s), through the desk's option; nothing else differs.
   */
  async function setUp(answer: WebhookAnswer = () => 200) {
    const prefix = `test-redeem-${randomUUID()}`;
    const connection = { url: inject('redisUrl') };
    const jobs = new BullJobs({ url: inject('redisUrl'), prefix, logger, closeGraceMs: 2000 });
    const queue = new Queue('redemptions', { connection, prefix });
    const notifications = new Queue('notifications', { connection, prefix });
    const receiver = await startWebhookReceiver(answer);
    cleanups.push(async () => {
      await jobs.close();
      await Promise.all([queue.close(), notifications.close(), receiver.close()]);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    });
    const f = await createRewardsFixture(db, {
      members: { Ana: {}, Hal: { roles: ['hr'] } },
      jobs,
      webhookAllowList: receiverAllowList,
    });
    checkedOrganization = f.organizationId;
    await f.earn('Ana', 500);
    const desk = new RewardDesk(db, f.desk.ledger, jobs, logger, {
      webhookRetries: { attempts: 3, backoffMs: 50 },
    });
    const webhookItem = await f.item({
      name: 'Gift card',
      pointsCost: 200,
      priceMinor: 2500,
      stock: 3,
      fulfilment: 'webhook',
      webhookUrl: receiver.url,
    });
    return {
      f,
      desk,
      jobs,
      queue,
      notifications,
      receiver,
      webhookItem,
      /** Workers that may reach the receiver, unless given other options. */
      startWorkers: (options: Partial<RedemptionWorkerOptions> = {}) =>
        startRedemptionWorkers(jobs, desk, {
          webhookSecret: SECRET,
          allowList: receiverAllowList,
          logger,
          ...options,
        }),
      redeem: (itemId = webhookItem) => redeem(f, desk, itemId),
    };
  }

  async function redeem(f: RewardsFixture, desk: RewardDesk, itemId: number): Promise<Redemption> {
    const ana = f.members.Ana?.id as number;
    const result = await desk.redeem({
      organizationId: f.organizationId,
      memberId: ana,
      requestedBy: ana,
      itemId,
      requestKey: key('redeem'),
    });
    if (!result.ok) throw new Error(result.message);
    return result.value.redemption;
  }

  async function finishedState(queue: Queue, jobId: string): Promise<string> {
    await until(async () => (await queue.getJob(jobId))?.finishedOn !== undefined);
    return queue.getJobState(jobId);
  }

  /** The redemptions of the fixture's organization whose member the sweep would tell. */
  async function untoldIn(f: RewardsFixture, graceSeconds?: number): Promise<number[]> {
    const untold = await f.desk.redemptions.untold({
      graceSeconds,
      organizationId: f.organizationId,
    });
    return untold.map((redemption) => redemption.id);
  }

  async function statusOf(f: RewardsFixture, id: number) {
    return (await f.desk.redemptions.find(f.organizationId, id))?.status;
  }

  async function chargesOf(redemptionId: number) {
    return db
      .selectFrom('billing_charges')
      .select(['amount_minor', 'currency'])
      .where('redemption_id', '=', redemptionId)
      .execute();
  }

  async function stockOf(f: RewardsFixture, itemId: number) {
    const item = await f.desk.catalog.find(f.organizationId, itemId);
    return item.ok ? item.value.stock : undefined;
  }

  it('answered 500 then 200: fulfilled and billed once; every try has the same key and a valid signature', async () => {
    const s = await setUp((_, index) => (index === 0 ? 500 : 200));
    s.startWorkers();
    const redemption = await s.redeem();
    expect(await finishedState(s.queue, `redemption-${redemption.id}`)).toBe('completed');

    expect(await statusOf(s.f, redemption.id)).toBe('fulfilled');
    expect(await chargesOf(redemption.id)).toEqual([{ amount_minor: 2500, currency: 'EUR' }]);
    expect(await s.f.points('Ana')).toEqual({ available: 300, held: 0 });
    expect(await stockOf(s.f, s.webhookItem)).toBe(2);
    expect((await s.queue.getJob(`redemption-${redemption.id}`))?.attemptsMade).toBe(2);
    expect(await s.notifications.getJob(`redemption-${redemption.id}-fulfilled`)).toBeDefined();

    const requests = s.receiver.requests;
    expect(requests).toHaveLength(2);
    const idempotencyKey = webhookIdempotencyKey(redemption);
    for (const request of requests) {
      expect(request.idempotencyKey).toBe(idempotencyKey);
      expect(verifyWebhookSignature(SECRET, request, request.receivedAtSeconds)).toBe(true);
      // The documented format, computed as a receiver in any language would.
      const signed = `${request.timestamp}.${request.body}`;
      expect(request.signature).toBe(
        `v1=${createHmac('sha256', SECRET).update(signed).digest('hex')}`,
      );
      // A replay five minutes later is refused.
      expect(verifyWebhookSignature(SECRET, request, request.receivedAtSeconds + 301)).toBe(false);
      // The check can fail: another secret, or a changed body, is refused.
      expect(verifyWebhookSignature(`${SECRET}x`, request, request.receivedAtSeconds)).toBe(false);
      expect(
        verifyWebhookSignature(
          SECRET,
          { ...request, body: request.body.replace('2500', '9999') },
          request.receivedAtSeconds,
        ),
      ).toBe(false);
    }
    expect(requests[1]?.body).toBe(requests[0]?.body);
    const payload = JSON.parse(requests[0]?.body ?? '') as RedemptionWebhookPayload;
    expect(payload).toMatchObject({
      type: 'redemption.fulfil',
      idempotencyKey,
      organizationId: s.f.organizationId,
      redemption: {
        id: redemption.id,
        item: { id: s.webhookItem, name: 'Gift card' },
        member: { id: s.f.members.Ana?.id, name: 'Ana' },
        points: 200,
        price: { amountMinor: 2500, currency: 'EUR' },
      },
    });
    expect(s.receiver.failures).toEqual([]);
  });

  it('answered 422: the job fails at once (not retried) and the redemption stays held, unbilled', async () => {
    const s = await setUp(() => 422);
    s.startWorkers();
    const redemption = await s.redeem();
    const jobId = `redemption-${redemption.id}`;
    expect(await finishedState(s.queue, jobId)).toBe('failed');
    const job = await s.queue.getJob(jobId);
    expect(job?.opts.attempts).toBe(3); // it had tries left, and used one
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toContain('422');
    expect(s.receiver.requests).toHaveLength(1);

    expect(await statusOf(s.f, redemption.id)).toBe('held');
    expect(await chargesOf(redemption.id)).toEqual([]);
    expect(await s.f.points('Ana')).toEqual({ available: 300, held: 200 });
    expect(await stockOf(s.f, s.webhookItem)).toBe(2);
  });

  describe('where a webhook may connect, judged on the address connected to', () => {
    const NAME = 'fulfil.plaudit.test';
    /** A resolver that says the made-up name is this machine, as a hostile DNS answer would. */
    const toThisMachine: ResolveHost = ((hostname, options, callback) => {
      if (hostname !== NAME) throw new Error(`looked up ${hostname}`);
      const all = [{ address: '127.0.0.1', family: 4 }];
      const done = callback as (error: null, addresses: unknown, family?: number) => void;
      if ((options as { all?: boolean }).all) done(null, all);
      else done(null, '127.0.0.1', 4);
    }) as ResolveHost;

    /** A webhook reward at `url` (the receiver's, by another host), saved as HR may save it. */
    async function itemAt(s: Awaited<ReturnType<typeof setUp>>, host: string) {
      return s.f.item({
        name: `Gift card at ${host}`,
        pointsCost: 200,
        priceMinor: 2500,
        stock: 3,
        fulfilment: 'webhook',
        webhookUrl: s.receiver.url.replace('127.0.0.1', host),
      });
    }

    /** The redemption's job failed at once (no retry), nothing reached the receiver, nothing billed. */
    async function expectRefusedOnce(s: Awaited<ReturnType<typeof setUp>>, redemption: Redemption) {
      const jobId = `redemption-${redemption.id}`;
      expect(await finishedState(s.queue, jobId)).toBe('failed');
      const job = await s.queue.getJob(jobId);
      expect(job?.attemptsMade).toBe(1);
      expect(s.receiver.requests).toEqual([]);
      // Back to HR, who may reject it: the points stay held, nothing is billed.
      expect(await statusOf(s.f, redemption.id)).toBe('held');
      expect(await chargesOf(redemption.id)).toEqual([]);
      expect(await s.f.points('Ana')).toEqual({ available: 300, held: 200 });
      return job?.failedReason;
    }

    it('refuses a name that resolves to this machine, as a permanent failure, unbilled', async () => {
      const s = await setUp();
      const item = await itemAt(s, NAME);
      s.startWorkers({ allowList: WebhookAllowList.NONE, resolveHost: toThisMachine });
      const redemption = await s.redeem(item);
      expect(await expectRefusedOnce(s, redemption)).toBe(
        `redemption ${redemption.id}: the webhook's host ${NAME} (127.0.0.1) is a loopback address, which REWARD_WEBHOOK_ALLOWED_HOSTS does not allow`,
      );
    });

    it('delivers to that name once REWARD_WEBHOOK_ALLOWED_HOSTS lists it', async () => {
      const s = await setUp();
      const item = await itemAt(s, NAME);
      s.startWorkers({ allowList: WebhookAllowList.of([NAME]), resolveHost: toThisMachine });
      const redemption = await s.redeem(item);
      expect(await finishedState(s.queue, `redemption-${redemption.id}`)).toBe('completed');
      expect(s.receiver.requests).toHaveLength(1);
      expect(await statusOf(s.f, redemption.id)).toBe('fulfilled');
      expect(await chargesOf(redemption.id)).toHaveLength(1);
    });

    it('refuses localhost by the system resolver, and delivers when it is allowed', async () => {
      const s = await setUp();
      const item = await itemAt(s, 'localhost');
      s.startWorkers({ allowList: WebhookAllowList.NONE });
      const refused = await s.redeem(item);
      expect(await expectRefusedOnce(s, refused)).toMatch(
        /the webhook's host localhost \((127\.0\.0\.1|::1)\) is a loopback address/,
      );
      expect(
        (await s.desk.resolve(s.f.organizationId, refused.id, 'rejected', { memberId: null })).ok,
      ).toBe(true);

      const allowed = await setUp();
      const allowedItem = await itemAt(allowed, 'localhost');
      allowed.startWorkers({ allowList: WebhookAllowList.of(['localhost']) });
      const delivered = await allowed.redeem(allowedItem);
      expect(await finishedState(allowed.queue, `redemption-${delivered.id}`)).toBe('completed');
      expect(await statusOf(allowed.f, delivered.id)).toBe('fulfilled');
    });

    it('refuses an internal IP address the sending process does not allow, IPv4-mapped IPv6 included', async () => {
      const s = await setUp();
      const item = await itemAt(s, '[::ffff:127.0.0.1]');
      s.startWorkers({ allowList: WebhookAllowList.NONE });
      const redemption = await s.redeem(item);
      expect(await expectRefusedOnce(s, redemption)).toBe(
        `redemption ${redemption.id}: the webhook's host ::ffff:7f00:1 is a loopback address, which REWARD_WEBHOOK_ALLOWED_HOSTS does not allow`,
      );
    });

    it('follows no redirect (it could lead inside), and does not retry one', async () => {
      const s = await setUp(() => ({
        status: 307,
        headers: { location: 'http://169.254.169.254/latest/meta-data/' },
      }));
      s.startWorkers();
      const redemption = await s.redeem();
      const jobId = `redemption-${redemption.id}`;
      expect(await finishedState(s.queue, jobId)).toBe('failed');
      const job = await s.queue.getJob(jobId);
      expect(job?.attemptsMade).toBe(1);
      expect(job?.failedReason).toBe(
        `the webhook answered 307 for redemption ${redemption.id}: redirects are not followed`,
      );
      expect(s.receiver.requests).toHaveLength(1);
      expect(await statusOf(s.f, redemption.id)).toBe('held');
      expect(await chargesOf(redemption.id)).toEqual([]);
    });
  });

  it('never sends a redemption that HR rejected before a worker took its job', async () => {
    const s = await setUp();
    const redemption = await s.redeem();
    const rejected = await s.desk.resolve(s.f.organizationId, redemption.id, 'rejected', {
      memberId: s.f.members.Hal?.id ?? null,
      reason: 'ordered twice',
    });
    expect(rejected.ok).toBe(true);
    s.startWorkers();
    expect(await finishedState(s.queue, `redemption-${redemption.id}`)).toBe('completed');

    expect(s.receiver.requests).toEqual([]);
    expect(await statusOf(s.f, redemption.id)).toBe('rejected');
    expect(await chargesOf(redemption.id)).toEqual([]);
    expect(await s.f.points('Ana')).toEqual({ available: 500, held: 0 });
    expect(await stockOf(s.f, s.webhookItem)).toBe(3);
  });

  it('refuses HR a rejection while the webhook is being delivered (the company may have it), and bills the fulfilment once', async () => {
    let release: (status: number) => void = () => undefined;
    const answered = new Promise<number>((resolve) => {
      release = resolve;
    });
    const s = await setUp(() => answered);
    s.startWorkers();
    const redemption = await s.redeem();
    await until(() => s.receiver.requests.length === 1);
    expect(await statusOf(s.f, redemption.id)).toBe('fulfilling');
    const hal = s.f.members.Hal?.id ?? null;
    const rejected = await s.desk.resolve(s.f.organizationId, redemption.id, 'rejected', {
      memberId: hal,
      reason: 'ordered twice',
    });
    expect(rejected).toMatchObject({ ok: false, code: 'being_fulfilled' });
    const cancelled = await s.desk.resolve(s.f.organizationId, redemption.id, 'cancelled', {
      memberId: s.f.members.Ana?.id ?? null,
    });
    expect(cancelled).toMatchObject({ ok: false, code: 'being_fulfilled' });
    release(200);
    expect(await finishedState(s.queue, `redemption-${redemption.id}`)).toBe('completed');
    expect(await statusOf(s.f, redemption.id)).toBe('fulfilled');
    expect(await chargesOf(redemption.id)).toEqual([{ amount_minor: 2500, currency: 'EUR' }]);
    expect(await s.f.points('Ana')).toEqual({ available: 300, held: 0 });
  });

  it('gives a redemption the webhook refused back to HR, who may then reject it', async () => {
    const s = await setUp(() => 422);
    s.startWorkers();
    const redemption = await s.redeem();
    expect(await finishedState(s.queue, `redemption-${redemption.id}`)).toBe('failed');
    expect(await statusOf(s.f, redemption.id)).toBe('held');
    const rejected = await s.desk.resolve(s.f.organizationId, redemption.id, 'rejected', {
      memberId: s.f.members.Hal?.id ?? null,
      reason: 'the shop refused it',
    });
    expect(rejected.ok).toBe(true);
    expect(await chargesOf(redemption.id)).toEqual([]);
    expect(await s.f.points('Ana')).toEqual({ available: 500, held: 0 });
  });

  it('a job re-run after its worker died past the commit sends nothing again, bills once, and tells the member', async () => {
    const s = await setUp();
    const redemption = await s.redeem();
    // What the killed worker had committed: the fulfilment, but not the member's message.
    const committed = await s.desk.redemptions.resolve(
      s.f.organizationId,
      redemption.id,
      'fulfilled',
      { memberId: null },
    );
    expect(committed.ok).toBe(true);
    const told = `redemption-${redemption.id}-fulfilled`;
    expect(await s.notifications.getJob(told)).toBeUndefined();
    s.startWorkers();
    expect(await finishedState(s.queue, `redemption-${redemption.id}`)).toBe('completed');

    expect(s.receiver.requests).toEqual([]);
    expect(await chargesOf(redemption.id)).toHaveLength(1);
    expect((await s.notifications.getJob(told))?.data).toMatchObject({
      memberId: s.f.members.Ana?.id,
      text: expect.stringContaining('was fulfilled'),
    });
  });

  it('expires a hold whose time is up, by its job or by the sweep: points back, stock released, nothing billed', async () => {
    const s = await setUp();
    const voucher = await s.f.item({ name: 'Voucher', pointsCost: 100, priceMinor: 900, stock: 5 });
    const [byJob, bySweep, notDue] = [
      await s.redeem(voucher),
      await s.redeem(voucher),
      await s.redeem(voucher),
    ] as [Redemption, Redemption, Redemption];
    expect(await s.f.points('Ana')).toEqual({ available: 200, held: 300 });
    // Holds last at least an hour: their time is moved back rather than waited for.
    await sql`update redemptions set expires_at = now() - interval '1 second'
      where id in (${byJob.id}, ${bySweep.id})`.execute(db);
    s.startWorkers();

    // The expiry jobs are delayed until the holds' original times; run two of them now.
    for (const { id } of [byJob, notDue]) {
      await (await s.queue.getJob(`redemption-${id}-expiry`))?.promote();
      expect(await finishedState(s.queue, `redemption-${id}-expiry`)).toBe('completed');
    }
    expect(await statusOf(s.f, byJob.id)).toBe('expired');
    expect(await statusOf(s.f, notDue.id)).toBe('held'); // run early, it changes nothing
    expect(await statusOf(s.f, bySweep.id)).toBe('held');

    await s.jobs.add('redemptions', SWEEP_REDEMPTIONS, {}, { jobId: 'sweep-now' });
    expect(await finishedState(s.queue, 'sweep-now')).toBe('completed');
    expect(await statusOf(s.f, bySweep.id)).toBe('expired');
    expect(await statusOf(s.f, notDue.id)).toBe('held');

    expect(await s.f.points('Ana')).toEqual({ available: 400, held: 100 });
    expect(await stockOf(s.f, voucher)).toBe(4);
    for (const { id } of [byJob, bySweep]) {
      expect(await chargesOf(id)).toEqual([]);
      expect(await s.notifications.getJob(`redemption-${id}-expired`)).toBeDefined();
    }
    const holds = await db
      .selectFrom('ledger_transfers')
      .select('status')
      .where('id', 'in', [byJob.holdTransferId, bySweep.holdTransferId, notDue.holdTransferId])
      .orderBy('id')
      .execute();
    expect(holds.map((hold) => hold.status)).toEqual(['voided', 'voided', 'pending']);

    // Workers keep the sweep scheduled, so no hold outlives its time by more than ten minutes.
    await keepRedemptionSweep(s.jobs, logger, new AbortController().signal);
    expect(await s.queue.getJobScheduler(REDEMPTION_SWEEP_ID)).toMatchObject({
      pattern: '*/10 * * * *',
      tz: 'UTC',
    });
  });

  it('a fresh worker fulfils even with a one-connection database pool (no second connection taken inside a fulfilment)', async () => {
    const s = await setUp();
    const redemption = await s.redeem();
    // A new process: its own pool, and a ledger whose account cache is empty.
    const small = await openDatabase({ url: fresh.url, poolSize: 1 });
    // Without waiting for ever on a connection a stuck fulfilment would hold (the failure).
    cleanups.push(async () => void (await settlesWithin(small.destroy(), 2000, 'closing')));
    const desk = new RewardDesk(small, new Ledger(small), s.jobs, logger);
    startRedemptionWorkers(s.jobs, desk, {
      webhookSecret: SECRET,
      allowList: receiverAllowList,
      logger,
    });
    await until(async () => (await statusOf(s.f, redemption.id)) === 'fulfilled', 5000);
    expect(await chargesOf(redemption.id)).toHaveLength(1);
  });

  it('the sweep queues the webhook job of a redemption made while the queue was away', async () => {
    const s = await setUp();
    const ana = s.f.members.Ana?.id as number;
    // Made without the desk: as if adding its jobs had timed out.
    const made = await s.desk.redemptions.request({
      organizationId: s.f.organizationId,
      memberId: ana,
      requestedBy: ana,
      itemId: s.webhookItem,
      requestKey: key('redeem'),
    });
    if (!made.ok) throw new Error(made.message);
    const { id } = made.value.redemption;
    // The sweep leaves the last minute's redemptions to the request that is queueing them.
    await sql`update redemptions set requested_at = now() - interval '2 minutes'
      where id = ${id}`.execute(db);
    s.startWorkers();
    await s.jobs.add('redemptions', SWEEP_REDEMPTIONS, {}, { jobId: 'sweep-now' });
    expect(await finishedState(s.queue, `redemption-${id}`)).toBe('completed');
    expect(await statusOf(s.f, id)).toBe('fulfilled');
    expect(s.receiver.requests).toHaveLength(1);
    expect(await chargesOf(id)).toHaveLength(1);
  });

  it('the sweep tells members of changes whose message the queue never took, once, and no one else', async () => {
    const s = await setUp();
    const ana = s.f.members.Ana?.id as number;
    const hal = s.f.members.Hal?.id as number;
    const manual = await s.f.item({ name: 'Mug', pointsCost: 50, priceMinor: 550, stock: 9 });
    // Each changed without the desk: as if the queue had been away when it changed.
    const made = async (requestedBy: number) => {
      const result = await s.desk.redemptions.request({
        organizationId: s.f.organizationId,
        memberId: ana,
        requestedBy,
        itemId: manual,
        requestKey: key('redeem'),
      });
      if (!result.ok) throw new Error(result.message);
      return result.value.redemption.id;
    };
    const end = async (id: number, outcome: Resolution, by: number | null, reason?: string) => {
      const ended = await s.desk.redemptions.resolve(s.f.organizationId, id, outcome, {
        memberId: by,
        reason,
      });
      if (!ended.ok) throw new Error(ended.message);
    };
    const rejected = await made(ana);
    await end(rejected, 'rejected', hal, 'out of mugs');
    const fulfilled = await made(ana);
    await end(fulfilled, 'fulfilled', hal);
    const forAna = await made(hal);
    const cancelledByAna = await made(ana);
    await end(cancelledByAna, 'cancelled', ana);
    const heldByAna = await made(ana);
    // Told at once through the desk: nothing for the sweep.
    const toldAlready = await made(ana);
    expect(
      (
        await s.desk.resolve(s.f.organizationId, toldAlready, 'rejected', {
          memberId: hal,
          reason: 'no',
        })
      ).ok,
    ).toBe(true);
    const messageOf = async (id: number, status: string) =>
      (await s.notifications.getJob(`redemption-${id}-${status}`))?.data as
        | { memberId: number; text: string }
        | undefined;
    expect(await messageOf(toldAlready, 'rejected')).toMatchObject({ memberId: ana });

    // Within its first minute a change is left to the request making it.
    expect(await untoldIn(s.f)).toEqual([]);
    expect(await untoldIn(s.f, 0)).toEqual([rejected, fulfilled, forAna]);
    await sql`update redemptions set requested_at = requested_at - interval '2 minutes',
        resolved_at = resolved_at - interval '2 minutes', expires_at = expires_at - interval '2 minutes'
      where organization_id = ${s.f.organizationId}`.execute(db);
    s.startWorkers();
    await s.jobs.add('redemptions', SWEEP_REDEMPTIONS, {}, { jobId: 'sweep-now' });
    expect(await finishedState(s.queue, 'sweep-now')).toBe('completed');

    expect(await messageOf(rejected, 'rejected')).toEqual({
      organizationId: s.f.organizationId,
      memberId: ana,
      text: `Your redemption #${rejected} of “Mug” was rejected: out of mugs. Your 50 points are back to spend.`,
    });
    expect((await messageOf(fulfilled, 'fulfilled'))?.text).toBe(
      `Your redemption #${fulfilled} of “Mug” was fulfilled. Enjoy!`,
    );
    expect((await messageOf(forAna, 'held'))?.text).toBe(
      `HR redeemed “Mug” for you (redemption #${forAna}): 50 points are held until it is fulfilled.`,
    );
    // Ana ended or made these herself: nothing to tell.
    expect(await messageOf(cancelledByAna, 'cancelled')).toBeUndefined();
    expect(await messageOf(heldByAna, 'held')).toBeUndefined();
    // Told once: the next sweep finds no one here.
    expect(await untoldIn(s.f, 0)).toEqual([]);
  });

  it('a decision made while the queue is away leaves its member untold, until the sweep tells them', async () => {
    const s = await setUp();
    const hal = s.f.members.Hal?.id as number;
    const away = new BullJobs({
      url: 'redis://127.0.0.1:1',
      prefix: `test-away-${randomUUID()}`,
      logger,
      closeGraceMs: 100,
    });
    cleanups.push(() => away.close());
    const deskAway = new RewardDesk(db, s.f.desk.ledger, away, logger);
    const mug = await s.f.item({ name: 'Mug', pointsCost: 50, priceMinor: 550, stock: 9 });
    const redemption = await s.redeem(mug);
    const decided = await deskAway.resolve(
      s.f.organizationId,
      redemption.id,
      'rejected',
      { memberId: hal, reason: 'out of mugs' },
      undefined,
    );
    expect(decided.ok).toBe(true);
    expect(await untoldIn(s.f, 0)).toEqual([redemption.id]);
    // The sweep tells them (here at once, for this organization only).
    expect(await s.desk.tellUntold({ graceSeconds: 0, organizationId: s.f.organizationId })).toBe(
      1,
    );
    expect((await s.notifications.getJob(`redemption-${redemption.id}-rejected`))?.data).toEqual({
      organizationId: s.f.organizationId,
      memberId: s.f.members.Ana?.id,
      text: `Your redemption #${redemption.id} of “Mug” was rejected: out of mugs. Your 50 points are back to spend.`,
    });
    expect(await untoldIn(s.f, 0)).toEqual([]);
  });

  it('an HR redemption over the API is news for the member, told by the sweep if the queue missed it', async () => {
    const s = await setUp();
    const ana = s.f.members.Ana?.id as number;
    const seeded = await seedApiToken(db, s.f.organizationId, `plaudit_${randomUUID()}`, 'hr');
    if (!seeded.ok) throw new Error(seeded.message);
    const token: AdminActor = {
      organizationId: s.f.organizationId,
      memberId: null,
      tokenId: seeded.value.id,
      roles: ['hr'],
      via: 'api',
      name: 'API token “hr”',
    };
    const mug = await s.f.item({ name: 'Mug', pointsCost: 50, priceMinor: 550, stock: 9 });
    // As the API stores it: a token is no member, so the member stands in requested_by.
    const request = {
      organizationId: s.f.organizationId,
      memberId: ana,
      requestedBy: ana,
      itemId: mug,
    };
    const byToken = await s.desk.redemptions.request({ ...request, requestKey: key('api') }, token);
    if (!byToken.ok) throw new Error(byToken.message);
    // The same fields without the token: Ana's own redemption, nothing to tell her.
    const own = await s.desk.redemptions.request({ ...request, requestKey: key('own') });
    if (!own.ok) throw new Error(own.message);
    const id = byToken.value.redemption.id;
    expect(await untoldIn(s.f, 0)).toEqual([id]);
    await s.desk.tellUntold({ graceSeconds: 0, organizationId: s.f.organizationId });
    expect((await s.notifications.getJob(`redemption-${id}-held`))?.data).toMatchObject({
      memberId: ana,
      text: `HR redeemed “Mug” for you (redemption #${id}): 50 points are held until it is fulfilled.`,
    });
    expect(await untoldIn(s.f, 0)).toEqual([]);
  });
});

import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config.ts';
import { PlauditMetrics } from '../../../src/http/metrics.ts';
import { BullJobs } from '../../../src/jobs/bullmq-jobs.ts';
import { InlineJobs } from '../../../src/jobs/inline-jobs.ts';
import { JobDeferred, PermanentJobFailure } from '../../../src/jobs/job-queue.ts';
import { EXPIRE_REDEMPTION, FULFIL_REDEMPTION } from '../../../src/rewards/reward-desk.ts';
import { type RunningWorker, startWorker } from '../../../src/worker.ts';
import { parseExposition, type Sample, total } from '../../support/exposition.ts';
import { createFreshDatabase, type FreshDatabase } from '../../support/fresh-database.ts';
import { until } from '../../support/until.ts';

const METRICS_TOKEN = 'job-metrics-scrape-token-0123456789';
const ADMIN_TOKEN = 'job-metrics-admin-token-0123456789ab';

/** The histogram's observations of runs with these labels. */
const runs = (samples: Sample[], labels: Record<string, string>) =>
  total(samples, 'plaudit_job_duration_seconds_count', labels);
const failures = (samples: Sample[], labels: Record<string, string>) =>
  total(samples, 'plaudit_job_failures_total', labels);

describe('a worker process: job durations and failures on its own /metrics', () => {
  const prefix = `test-job-metrics-${randomUUID()}`;
  let database: FreshDatabase;
  let worker: RunningWorker;
  let producer: BullJobs;
  const queues: Queue[] = [];

  beforeAll(async () => {
    // A database of its own: the worker sweeps the redemptions of every organization in it.
    database = await createFreshDatabase('job_metrics', { migrated: true });
    worker = await startWorker(
      parseConfig({
        PLAUDIT_ROLE: 'worker',
        DATABASE_URL: database.url,
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: prefix,
        WORKER_PORT: '0',
        LOG_LEVEL: 'silent',
        METRICS_TOKEN,
        PLAUDIT_ADMIN_TOKEN: ADMIN_TOKEN,
      }),
    );
    producer = new BullJobs({ url: inject('redisUrl'), prefix, logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await worker?.close();
    await producer?.close();
    for (const queue of queues) await queue.close();
    const redis = new Redis(inject('redisUrl'));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database?.drop();
  });

  const finished = async (queueName: 'allowance' | 'redemptions', id: string) => {
    const queue = new Queue(queueName, { connection: { url: inject('redisUrl') }, prefix });
    queues.push(queue);
    await until(async () => (await queue.getJob(id))?.finishedOn !== undefined);
    return (await queue.getJob(id))?.getState();
  };

  const scrape = async (token: string | null = METRICS_TOKEN) =>
    fetch(`${worker.url}/metrics`, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  it('answers health and readiness on its own port', async () => {
    expect(await (await fetch(`${worker.url}/healthz`)).json()).toEqual({ status: 'ok' });
    // Probed as a load balancer probes, again until it says ready: each probe gives the
    // database 2 s, and at load 13 the first, opening a connection, once took longer.
    let ready = await fetch(`${worker.url}/readyz`);
    await until(async () => {
      if (ready.status !== 200) ready = await fetch(`${worker.url}/readyz`);
      return ready.status === 200;
    });
    expect(await ready.json()).toEqual({ status: 'ready', database: 'ok', redis: 'ok' });
  });

  it('counts the real jobs it ran through BullMQ, by queue, job name and outcome', async () => {
    // No such redemption in its database: fulfilling it has nothing to do, and completes.
    await producer.add(
      'redemptions',
      FULFIL_REDEMPTION,
      { organizationId: 1, redemptionId: 1 },
      { jobId: 'fulfil-nothing' },
    );
    // Expiring a redemption that does not exist fails: once to be retried, then for good.
    await producer.add(
      'redemptions',
      EXPIRE_REDEMPTION,
      { organizationId: 1, redemptionId: 2 },
      { jobId: 'expire-nothing', attempts: 2, backoffMs: 10 },
    );
    // A name no handler takes fails at once, labelled `unknown`.
    await producer.add('allowance', 'no-such-job', {}, { jobId: 'nameless', attempts: 5 });

    expect(await finished('redemptions', 'fulfil-nothing')).toBe('completed');
    expect(await finished('redemptions', 'expire-nothing')).toBe('failed');
    expect(await finished('allowance', 'nameless')).toBe('failed');

    const response = await scrape();
    expect(response.status).toBe(200);
    const samples = parseExposition(await response.text());
    const fulfil = { queue: 'redemptions', name: FULFIL_REDEMPTION };
    const expire = { queue: 'redemptions', name: EXPIRE_REDEMPTION };
    const unknown = { queue: 'allowance', name: 'unknown' };

    expect(runs(samples, { ...fulfil, outcome: 'completed' })).toBe(1);
    expect(runs(samples, fulfil)).toBe(1);
    expect(failures(samples, fulfil)).toBe(0);
    expect(
      total(samples, 'plaudit_job_duration_seconds_bucket', {
        ...fulfil,
        outcome: 'completed',
        le: '+Inf',
      }),
    ).toBe(1);

    expect(runs(samples, { ...expire, outcome: 'retrying' })).toBe(1);
    expect(runs(samples, { ...expire, outcome: 'failed' })).toBe(1);
    expect(runs(samples, { ...expire, outcome: 'completed' })).toBe(0);
    expect(failures(samples, { ...expire, outcome: 'retrying' })).toBe(1);
    expect(failures(samples, { ...expire, outcome: 'failed' })).toBe(1);

    expect(runs(samples, { ...unknown, outcome: 'failed' })).toBe(1);
    expect(failures(samples, { ...unknown, outcome: 'failed' })).toBe(1);
    expect(failures(samples, { queue: 'allowance' })).toBe(1);
    // The name read from Redis is not a label value.
    expect(samples.some((sample) => sample.labels.name === 'no-such-job')).toBe(false);

    // Its queues' depths too, read from Redis.
    expect(total(samples, 'plaudit_queue_jobs', { queue: 'redemptions', state: 'failed' })).toBe(1);
  });

  it('refuses to start a second worker on its port, with one sentence naming the variable', async () => {
    const port = new URL(worker.url).port;
    await expect(
      startWorker(
        parseConfig({
          PLAUDIT_ROLE: 'worker',
          DATABASE_URL: database.url,
          REDIS_URL: inject('redisUrl'),
          REDIS_PREFIX: prefix,
          WORKER_PORT: port,
          LOG_LEVEL: 'silent',
        }),
      ),
    ).rejects.toThrow(
      new ConfigError(
        `WORKER_PORT ${port} is taken on 127.0.0.1: each worker process on a machine needs its own (0 takes any free one).`,
      ),
    );
  });

  it('asks a scraper for the metrics token or the admin token', async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape('not-a-token-we-know-0123456789')).status).toBe(401);
    expect((await scrape(METRICS_TOKEN)).status).toBe(200);
    expect((await scrape(ADMIN_TOKEN)).status).toBe(200);
    const basic = Buffer.from(`prometheus:${METRICS_TOKEN}`).toString('base64');
    const response = await fetch(`${worker.url}/metrics`, {
      headers: { authorization: `Basic ${basic}` },
    });
    expect(response.status).toBe(200);
  });
});

describe('the inline runner (local mode): job runs in the same metrics', () => {
  it('times completed, retried, failed and deferred runs', async () => {
    const logger = pino({ level: 'silent' });
    const jobs = new InlineJobs(logger);
    const metrics = new PlauditMetrics(jobs, logger);
    let paced = 0;
    jobs.work('notifications', {
      fine: async () => {},
      flaky: async (job) => {
        if (job.attemptsMade === 0) throw new Error('not yet');
      },
      broken: async () => {
        throw new PermanentJobFailure('gone');
      },
      waits: async () => {
        paced += 1;
        if (paced === 1) throw new JobDeferred(1);
      },
    });
    await jobs.add('notifications', 'fine', {});
    await jobs.add('notifications', 'flaky', {}, { backoffMs: 1 });
    await jobs.add('notifications', 'broken', {});
    await jobs.add('notifications', 'waits', {});
    await jobs.add('notifications', 'nobody-takes-this', {});
    await jobs.settled();

    const samples = parseExposition(await metrics.registry.metrics());
    const queue = 'notifications';
    expect(runs(samples, { queue, name: 'fine', outcome: 'completed' })).toBe(1);
    expect(runs(samples, { queue, name: 'flaky', outcome: 'retrying' })).toBe(1);
    expect(runs(samples, { queue, name: 'flaky', outcome: 'completed' })).toBe(1);
    expect(failures(samples, { queue, name: 'flaky', outcome: 'retrying' })).toBe(1);
    expect(runs(samples, { queue, name: 'broken', outcome: 'failed' })).toBe(1);
    expect(failures(samples, { queue, name: 'broken', outcome: 'failed' })).toBe(1);
    expect(runs(samples, { queue, name: 'waits', outcome: 'deferred' })).toBe(1);
    expect(runs(samples, { queue, name: 'waits', outcome: 'completed' })).toBe(1);
    expect(failures(samples, { queue, name: 'waits' })).toBe(0);
    expect(failures(samples, { queue, name: 'unknown', outcome: 'failed' })).toBe(1);
    expect(runs(samples, { queue })).toBe(7);
    await jobs.close();
  });
});

import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  resetPattern,
  scheduleAllowanceReset,
  unscheduleAllowanceReset,
} from '../../../src/jobs/allowance-schedules.ts';
import { BullJobs } from '../../../src/jobs/bullmq-jobs.ts';
import { type Job, PermanentJobFailure } from '../../../src/jobs/job-queue.ts';
import { runningWorkers } from '../../support/open-workers.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';
import { until } from '../../support/until.ts';

const logger = pino({ level: 'silent' });

describe('BullJobs, the queue port on BullMQ and real Redis', () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  const prefixes: string[] = [];
  /** A fresh key prefix per test: tests never see each other's jobs. */
  function jobs(lockDurationMs?: number, closeGraceMs?: number) {
    const prefix = `test-${randomUUID()}`;
    prefixes.push(prefix);
    const adapter = new BullJobs({
      url: inject('redisUrl'),
      prefix,
      lockDurationMs,
      closeGraceMs,
      logger,
    });
    opened.push(adapter);
    const queue = new Queue('allowance', { connection: { url: inject('redisUrl') }, prefix });
    opened.push(queue);
    return { adapter, queue };
  }
  afterEach(async () => {
    for (const item of opened.splice(0)) await item.close();
    const redis = new Redis(inject('redisUrl'));
    for (const prefix of prefixes.splice(0)) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });

  it('runs a job with its data, and keeps its progress', async () => {
    const { adapter, queue } = jobs();
    const seen: Job[] = [];
    adapter.work('allowance', {
      'allowance-reset': async (job) => {
        seen.push(job);
        await job.updateProgress({ done: 3, opened: 2 });
      },
    });
    await adapter.add('allowance', 'allowance-reset', { organizationId: 7 }, { jobId: 'reset-7' });
    await until(async () => (await queue.getJob('reset-7'))?.finishedOn !== undefined);
    const job = await queue.getJob('reset-7');
    expect(await job?.getState()).toBe('completed');
    expect(job?.progress).toEqual({ done: 3, opened: 2 });
    expect(seen.map((s) => [s.name, s.data, s.attemptsMade])).toEqual([
      ['allowance-reset', { organizationId: 7 }, 0],
    ]);
  });

  it('retries a transient failure with backoff, and fails a permanent one at once', async () => {
    const { adapter, queue } = jobs();
    let flaky = 0;
    let permanent = 0;
    adapter.work('allowance', {
      flaky: async () => {
        flaky += 1;
        if (flaky < 3) throw new Error('Postgres restarting');
      },
      permanent: async () => {
        permanent += 1;
        throw new PermanentJobFailure('the member is gone');
      },
    });
    await adapter.add('allowance', 'flaky', {}, { jobId: 'flaky', attempts: 5, backoffMs: 10 });
    await adapter.add('allowance', 'permanent', {}, { jobId: 'permanent', attempts: 5 });
    await until(async () => (await queue.getJob('flaky'))?.finishedOn !== undefined);
    await until(async () => (await queue.getJob('permanent'))?.finishedOn !== undefined);
    expect(await (await queue.getJob('flaky'))?.getState()).toBe('completed');
    expect(flaky).toBe(3);
    const failed = await queue.getJob('permanent');
    expect(await failed?.getState()).toBe('failed');
    expect(failed?.failedReason).toBe('the member is gone');
    expect(permanent).toBe(1);
  });

  it('paces jobs that share a key across workers: one per interval, waiting counts no attempt', async () => {
    const prefix = `test-${randomUUID()}`;
    prefixes.push(prefix);
    // Two adapters on one prefix: two processes working the same queue.
    const first = new BullJobs({ url: inject('redisUrl'), prefix, logger });
    const second = new BullJobs({ url: inject('redisUrl'), prefix, logger });
    const queue = new Queue('notifications', { connection: { url: inject('redisUrl') }, prefix });
    opened.push(first, second, queue);
    // Each send notes when it asked for its turn and when it had it: the turn was used
    // (on Redis's clock, the same clock on this machine) between the two.
    const sent: Array<{
      id: string;
      key: string;
      asked: number;
      at: number;
      attemptsMade: number;
    }> = [];
    const send = async (job: Job) => {
      const { key } = job.data as { key: string };
      const asked = Date.now();
      await job.pace(key, 300);
      sent.push({ id: job.id, key, asked, at: Date.now(), attemptsMade: job.attemptsMade });
    };
    first.work('notifications', { send }, { concurrency: 4 });
    second.work('notifications', { send }, { concurrency: 4 });
    for (let n = 1; n <= 6; n++) {
      // One attempt only: a wait counted as an attempt would fail the job.
      await first.add(
        'notifications',
        'send',
        { key: 'channel-a' },
        { jobId: `a-${n}`, attempts: 1 },
      );
    }
    await first.add('notifications', 'send', { key: 'channel-b' }, { jobId: 'b-1', attempts: 1 });
    await until(async () => (await queue.getJobCounts('completed')).completed === 7, 10_000);
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
    const onA = sent.filter((send) => send.key === 'channel-a');
    expect(onA).toHaveLength(6);
    // Turns are used at least 300 ms apart, however late a job came back for its turn: a
    // turn used after the previous one was asked for, plus 300 ms, at the soonest.
    for (let n = 1; n < onA.length; n++) {
      expect((onA[n]?.at ?? 0) - (onA[n - 1]?.asked ?? 0)).toBeGreaterThanOrEqual(300);
    }
    // Another key does not wait for the first one's turns.
    const b = sent.find((send) => send.key === 'channel-b')?.at ?? 0;
    expect(b - (onA[0]?.at ?? 0)).toBeLessThan(300);
    expect(sent.every((send) => send.attemptsMade === 0)).toBe(true);
  });

  it('adds a job once while one with the same id is waiting', async () => {
    const { adapter, queue } = jobs();
    await adapter.add('allowance', 'allowance-reset', { organizationId: 1 }, { jobId: 'same' });
    await adapter.add('allowance', 'allowance-reset', { organizationId: 2 }, { jobId: 'same' });
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    expect((await queue.getJob('same'))?.data).toEqual({ organizationId: 1 });
  });

  it('schedules each organization at one minute past local midnight of its period, in its zone', async () => {
    const { adapter, queue } = jobs();
    await scheduleAllowanceReset(adapter, {
      id: 41,
      cadence: 'monthly',
      timezone: 'Pacific/Auckland',
    });
    const [scheduler] = await queue.getJobSchedulers();
    expect(scheduler).toMatchObject({
      key: 'allowance-reset-41',
      pattern: resetPattern('monthly'),
      tz: 'Pacific/Auckland',
    });
    // The next run is 00:01 on the 1st in Auckland, whatever the month and its offset.
    const next = new Date(Number(scheduler?.next));
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Pacific/Auckland',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(next);
    expect(local).toBe('1, 00:01');
    expect(next.getTime()).toBeGreaterThan(Date.now());

    // A cadence or time zone change moves the same schedule; there is never a second one.
    await scheduleAllowanceReset(adapter, {
      id: 41,
      cadence: 'weekly',
      timezone: 'America/New_York',
    });
    const moved = await queue.getJobSchedulers();
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatchObject({ pattern: '1 0 * * 1', tz: 'America/New_York' });
    const weekday = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'America/New_York',
      weekday: 'long',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(new Date(Number(moved[0]?.next)));
    expect(weekday).toBe('Monday 00:01');

    await unscheduleAllowanceReset(adapter, 41);
    expect(await queue.getJobSchedulers()).toEqual([]);
  });

  it('leaves an unchanged schedule alone, so a restart does not push back a due reset', async () => {
    const { adapter, queue } = jobs();
    const organization = { id: 42, cadence: 'monthly' as const, timezone: 'Europe/Lisbon' };
    await scheduleAllowanceReset(adapter, organization);
    const [due] = await queue.getDelayed();
    // As every worker and web process does at start:
    await scheduleAllowanceReset(adapter, organization);
    await scheduleAllowanceReset(adapter, organization);
    const after = await queue.getDelayed();
    expect(after.map((job) => job.id)).toEqual([due?.id]);
    expect(after[0]?.timestamp).toBe(due?.timestamp);
  });

  it('fires a schedule through the worker', async () => {
    const { adapter } = jobs();
    const fired: unknown[] = [];
    adapter.work('allowance', {
      tick: async (job) => {
        fired.push(job.data);
      },
    });
    await adapter.schedule('allowance', {
      id: 'every-second',
      pattern: '* * * * * *',
      timezone: 'Asia/Tokyo',
      job: { name: 'tick', data: { organizationId: 5 } },
    });
    await until(() => fired.length >= 2);
    expect(fired[0]).toEqual({ organizationId: 5 });
  });

  it('lets a running job finish when it closes, and takes no new one', async () => {
    const { adapter, queue } = jobs();
    let release: () => void = () => {};
    const started: string[] = [];
    adapter.work(
      'allowance',
      {
        slow: async (job) => {
          started.push(job.id);
          await new Promise<void>((resolve) => {
            release = resolve;
          });
        },
      },
      { concurrency: 1 },
    );
    await adapter.add('allowance', 'slow', {}, { jobId: 'first' });
    await until(() => started.length === 1);
    await adapter.add('allowance', 'slow', {}, { jobId: 'second' });
    const closing = adapter.close();
    release();
    await closing;
    expect(await (await queue.getJob('first'))?.getState()).toBe('completed');
    expect(await (await queue.getJob('second'))?.getState()).toBe('waiting');
    expect(started).toEqual(['first']);
  });

  it('stops a worker whose job never finishes once the grace period is over, renewing no lock after', async () => {
    const { adapter, queue } = jobs(undefined, 200);
    let started = false;
    adapter.work('allowance', {
      stuck: async () => {
        started = true;
        await new Promise<never>(() => {});
      },
    });
    await adapter.add('allowance', 'stuck', {}, { jobId: 'stuck' });
    await until(() => started);
    await adapter.close();
    // Closed, not left closing: a worker still waiting for its job keeps renewing the
    // job's lock on a timer for as long as the process lives.
    expect(runningWorkers()).toEqual([]);
    // The job is left active, for the stalled check of another worker to take over.
    expect(await (await queue.getJob('stuck'))?.getState()).toBe('active');
  });

  it('waits for no job once Redis is away: none could be marked done', async () => {
    const proxy = await new TcpProxy('127.0.0.1', Number(new URL(inject('redisUrl')).port)).start();
    const prefix = `test-${randomUUID()}`;
    prefixes.push(prefix);
    // A grace longer than the test's own time limit: waiting it out fails the test.
    const adapter = new BullJobs({
      url: `redis://127.0.0.1:${proxy.port}`,
      prefix,
      closeGraceMs: 600_000,
      logger,
    });
    let started = false;
    adapter.work('allowance', {
      stuck: async () => {
        started = true;
        await new Promise<never>(() => {});
      },
    });
    try {
      await adapter.add('allowance', 'stuck', {});
      await until(() => started);
      await proxy.cut();
      await adapter.close();
      expect(runningWorkers()).toEqual([]);
    } finally {
      await proxy.cut();
    }
  }, 60_000);

  it('adds several jobs in one go, with their options, each once while one with its id is known', async () => {
    const { adapter, queue } = jobs();
    await adapter.addBulk('allowance', [
      { name: 'first', data: { n: 1 }, options: { jobId: 'a', attempts: 8, backoffMs: 2000 } },
      { name: 'second', data: { n: 2 }, options: { jobId: 'b' } },
    ]);
    await adapter.addBulk('allowance', [
      { name: 'second', data: { n: 3 }, options: { jobId: 'b' } },
      { name: 'third', data: { n: 4 }, options: { jobId: 'c' } },
    ]);
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 3 });
    expect((await queue.getJob('b'))?.data).toEqual({ n: 2 });
    const first = await queue.getJob('a');
    expect([first?.name, first?.data, first?.opts.attempts, first?.opts.backoff]).toEqual([
      'first',
      { n: 1 },
      8,
      { type: 'exponential', delay: 2000 },
    ]);
    await expect(
      adapter.addBulk('allowance', [{ name: 'bad', data: {}, options: { jobId: 'a:b' } }]),
    ).rejects.toThrow(/must not contain ':'/);
  });

  it('refuses a job at once while Redis is away, since the start as after it was lost', async () => {
    const proxy = await new TcpProxy('127.0.0.1', Number(new URL(inject('redisUrl')).port)).start();
    await proxy.cut();
    const prefix = `test-${randomUUID()}`;
    prefixes.push(prefix);
    const adapter = new BullJobs({ url: `redis://127.0.0.1:${proxy.port}`, prefix, logger });
    opened.push(adapter);
    // Added or refused within 5 s (a refusal takes milliseconds); a hang says 'waiting'.
    const outcome = (adding: Promise<void>) =>
      Promise.race([
        adding.then(
          () => 'added',
          (error: Error) => error.message,
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve('waiting'), 5000).unref()),
      ]);
    const refused = 'Redis is away: the job queue cannot take jobs now';
    // Added as the first connection is being made, and after it failed.
    expect(await outcome(adapter.add('allowance', 'early', {}))).toBe(refused);
    expect(await outcome(adapter.add('allowance', 'later', {}))).toBe(refused);
    expect(await outcome(adapter.addBulk('allowance', [{ name: 'bulk', data: {} }]))).toBe(refused);

    await proxy.start();
    await until(() =>
      adapter.ping().then(
        () => true,
        () => false,
      ),
    );
    expect(await outcome(adapter.add('allowance', 'back', {}))).toBe('added');
    await proxy.cut();
    await until(() =>
      adapter.ping().then(
        () => false,
        () => true,
      ),
    );
    expect(await outcome(adapter.add('allowance', 'lost', {}))).toBe(refused);
  }, 60_000);

  it('says each time Redis is back after it was away, and not at the first connection', async () => {
    const proxy = await new TcpProxy('127.0.0.1', Number(new URL(inject('redisUrl')).port)).start();
    const prefix = `test-${randomUUID()}`;
    prefixes.push(prefix);
    const adapter = new BullJobs({ url: `redis://127.0.0.1:${proxy.port}`, prefix, logger });
    opened.push(adapter);
    let back = 0;
    adapter.whenBack(() => {
      back += 1;
    });
    const answers = () =>
      adapter.ping().then(
        () => true,
        () => false,
      );
    try {
      await until(answers);
      expect(back).toBe(0);
      for (const time of [1, 2]) {
        await proxy.cut();
        await until(async () => !(await answers()));
        await proxy.start();
        await until(() => back === time);
        expect(await answers()).toBe(true);
      }
    } finally {
      await proxy.cut();
    }
  }, 60_000);
});

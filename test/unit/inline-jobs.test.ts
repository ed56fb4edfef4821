import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InlineJobs } from '../../src/jobs/inline-jobs.ts';
import { PermanentJobFailure } from '../../src/jobs/job-queue.ts';

const logger = pino({ level: 'silent' });

describe('InlineJobs, the embedded job runner of local mode', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs added jobs, also those added before their queue had handlers', async () => {
    const jobs = new InlineJobs(logger);
    const seen: unknown[] = [];
    await jobs.add('allowance', 'allowance-reset', { organizationId: 1 });
    jobs.work('allowance', {
      'allowance-reset': async (job) => {
        seen.push(job.data);
      },
    });
    await jobs.add('allowance', 'allowance-reset', { organizationId: 2 });
    await jobs.settled();
    expect(seen).toEqual([{ organizationId: 1 }, { organizationId: 2 }]);
  });

  it('retries with doubling backoff, and fails a permanent failure at once', async () => {
    vi.useFakeTimers();
    const jobs = new InlineJobs(logger);
    const attempts: Array<[string, number, number]> = [];
    jobs.work('allowance', {
      flaky: async (job) => {
        attempts.push(['flaky', job.attemptsMade, Date.now()]);
        if (job.attemptsMade < 2) throw new Error('transient');
      },
      permanent: async (job) => {
        attempts.push(['permanent', job.attemptsMade, Date.now()]);
        throw new PermanentJobFailure('gone');
      },
    });
    const start = Date.now();
    await jobs.add('allowance', 'flaky', {}, { backoffMs: 100 });
    await jobs.add('allowance', 'permanent', {}, { attempts: 5 });
    await vi.runAllTimersAsync();
    await jobs.settled();
    expect(attempts.map(([name, made, at]) => [name, made, at - start])).toEqual([
      ['flaky', 0, 0],
      ['permanent', 0, 0],
      ['flaky', 1, 100],
      ['flaky', 2, 300],
    ]);
  });

  it('runs at most its concurrency of a queue’s jobs at once; the rest wait their turn', async () => {
    const jobs = new InlineJobs(logger);
    let running = 0;
    let most = 0;
    const done: number[] = [];
    const gates: Array<() => void> = [];
    jobs.work(
      'notifications',
      {
        send: async (job) => {
          running += 1;
          most = Math.max(most, running);
          await new Promise<void>((resolve) => gates.push(resolve));
          running -= 1;
          done.push(job.data as number);
        },
      },
      { concurrency: 2 },
    );
    for (let n = 1; n <= 6; n++) await jobs.add('notifications', 'send', n);
    // Let each started job through as it waits, until all have run.
    while (done.length < 6) {
      await new Promise((resolve) => setImmediate(resolve));
      gates.shift()?.();
    }
    await jobs.settled();
    expect(most).toBe(2);
    expect(done).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('paces jobs that share a key, one per interval, without counting an attempt', async () => {
    vi.useFakeTimers();
    const jobs = new InlineJobs(logger);
    const sent: Array<[string, number, number]> = [];
    jobs.work('notifications', {
      send: async (job) => {
        const { key } = job.data as { key: string };
        await job.pace(key, 1000);
        sent.push([`${key}/${job.id}`, job.attemptsMade, Date.now()]);
      },
    });
    const start = Date.now();
    for (const id of ['one', 'two', 'three']) {
      await jobs.add('notifications', 'send', { key: 'a' }, { jobId: id, attempts: 1 });
    }
    await jobs.add('notifications', 'send', { key: 'b' }, { jobId: 'other', attempts: 1 });
    await vi.runAllTimersAsync();
    await jobs.settled();
    expect(sent.map(([what, made, at]) => [what, made, at - start])).toEqual([
      ['a/one', 0, 0],
      ['b/other', 0, 0],
      ['a/two', 0, 1000],
      ['a/three', 0, 2000],
    ]);
  });

  it('adds a job once while one with the same id is running or waiting', async () => {
    const jobs = new InlineJobs(logger);
    let runs = 0;
    jobs.work('allowance', {
      reset: async () => {
        runs += 1;
      },
    });
    await jobs.add('allowance', 'reset', {}, { jobId: 'reset-1' });
    await jobs.add('allowance', 'reset', {}, { jobId: 'reset-1' });
    await jobs.settled();
    expect(runs).toBe(1);
    // Once finished, the id may be used again (as BullMQ allows once a job is removed).
    await jobs.add('allowance', 'reset', {}, { jobId: 'reset-1' });
    await jobs.settled();
    expect(runs).toBe(2);
  });

  it('fires a schedule at its local time, in its time zone, and again the next period', async () => {
    vi.useFakeTimers();
    // 10:59 UTC on 31 January is 23:59 in Auckland (UTC+13): the 1 February reset is 2 minutes away.
    vi.setSystemTime(new Date('2026-01-31T10:59:00Z'));
    const jobs = new InlineJobs(logger);
    const fired: Date[] = [];
    jobs.work('allowance', {
      'allowance-reset': async () => {
        fired.push(new Date());
      },
    });
    await jobs.schedule('allowance', {
      id: 'allowance-reset-1',
      pattern: '1 0 1 * *',
      timezone: 'Pacific/Auckland',
      job: { name: 'allowance-reset', data: { organizationId: 1 } },
    });
    await vi.advanceTimersByTimeAsync(119_000);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(fired).toEqual([new Date('2026-01-31T11:01:00Z')]);
    // March 1 00:01 in Auckland, still on daylight time (UTC+13).
    await vi.advanceTimersByTimeAsync(29 * 24 * 3600_000);
    expect(fired.at(-1)).toEqual(new Date('2026-02-28T11:01:00Z'));
    await jobs.unschedule('allowance', 'allowance-reset-1');
    await vi.advanceTimersByTimeAsync(40 * 24 * 3600_000);
    expect(fired).toHaveLength(2);
    await jobs.close();
  });
});

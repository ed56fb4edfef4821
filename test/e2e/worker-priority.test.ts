import { afterAll, describe, expect, inject, it } from 'vitest';
import { threadNiceness } from '../support/thread-niceness.ts';
import { logLine, type PlauditProcess, startWorkerProcess } from '../support/worker-process.ts';

describe("a worker process's CPU priority", () => {
  let worker: PlauditProcess | undefined;
  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
  });

  it('is lowered to niceness 10 by default, on all its threads, so web processes answer first', async () => {
    worker = startWorkerProcess({
      DATABASE_URL: inject('databaseUrl'),
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: `worker-priority-${process.pid}`,
      LOG_LEVEL: 'info',
      // Unset: production's default, not the suite's.
      WORKER_NICENESS: '',
    });
    const lowered = await logLine(worker, 'worker CPU priority lowered');
    expect(lowered.niceness).toEqual({ from: 0, to: 10 });
    await logLine(worker, 'Plaudit worker is taking jobs');
    const pid = worker.child.pid as number;
    const threads = threadNiceness(pid);
    expect(threads.length).toBeGreaterThan(1);
    expect(threads).toEqual(threads.map(() => 10));
  });
});

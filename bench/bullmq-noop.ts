import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * BullMQ's own ceiling on this machine: `count` no-op jobs, added beforehand (in bulk, kept
 * on completion as Plaudit keeps its jobs), drained by one worker at `concurrency`; returns
 * jobs per second from the worker's start to the last completion. Its keys are removed.
 */
export async function noopJobsPerSecond(
  redisUrl: string,
  count: number,
  concurrency: number,
): Promise<number> {
  const prefix = `bench-noop-${randomUUID()}`;
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const consumer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection: producer, prefix });
  let worker: Worker | undefined;
  try {
    for (let added = 0; added < count; added += 1000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1000, count - added) }, (_, index) => ({
          name: 'noop',
          data: { n: added + index },
          opts: { removeOnComplete: { age: 3600, count: 10_000 } },
        })),
      );
    }
    let completed = 0;
    let allDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    const started = performance.now();
    worker = new Worker('noop', async () => undefined, {
      connection: consumer,
      prefix,
      concurrency,
    });
    worker.on('completed', () => {
      completed += 1;
      if (completed === count) allDone();
    });
    await done;
    return count / ((performance.now() - started) / 1000);
  } finally {
    await worker?.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const keys = await producer.keys(`${prefix}:*`);
    if (keys.length > 0) await producer.del(...keys);
    await producer.quit();
    consumer.disconnect();
  }
}

import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from '../../src/jobs/bounded-concurrency.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/** Yields 1..count, logging when each is taken; throws at `failAt` if given. */
async function* numbers(count: number, log: string[], failAt?: number) {
  for (let n = 1; n <= count; n++) {
    await tick();
    if (n === failAt) throw new Error(`could not take ${n}`);
    log.push(`take ${n}`);
    yield n;
  }
}

describe('forEachConcurrently', () => {
  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await forEachConcurrently(numbers(9, []), 3, async (n) => {
      running++;
      most = Math.max(most, running);
      for (let wait = 0; wait < 10 + (n % 4); wait++) await tick();
      running--;
      done.push(n);
    });
    expect(most).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('takes the next item while the work on the one before is still running', async () => {
    const log: string[] = [];
    await forEachConcurrently(numbers(3, log), 1, async (n) => {
      log.push(`start ${n}`);
      for (let wait = 0; wait < 5; wait++) await tick();
      log.push(`end ${n}`);
    });
    expect(log).toEqual([
      'take 1',
      'start 1',
      'take 2',
      'end 1',
      'start 2',
      'take 3',
      'end 2',
      'start 3',
      'end 3',
    ]);
  });

  it('starts nothing after a failure, lets the running work finish, and throws the first error', async () => {
    const log: string[] = [];
    const work = forEachConcurrently(numbers(10, []), 2, async (n) => {
      log.push(`start ${n}`);
      try {
        for (let wait = 0; wait < (n === 1 ? 10 : 2); wait++) await tick();
        throw new Error(`batch ${n} failed`);
      } finally {
        log.push(`settled ${n}`);
      }
    });
    await expect(work).rejects.toThrow('batch 2 failed');
    expect(log).toEqual(['start 1', 'start 2', 'settled 2', 'settled 1']);
  });

  it('lets the running work finish when taking the next item fails', async () => {
    const log: string[] = [];
    const work = forEachConcurrently(numbers(5, [], 3), 2, async (n) => {
      for (let wait = 0; wait < 10; wait++) await tick();
      log.push(`end ${n}`);
    });
    await expect(work).rejects.toThrow('could not take 3');
    expect(log.sort()).toEqual(['end 1', 'end 2']);
  });

  it('refuses a limit below one', async () => {
    await expect(forEachConcurrently(numbers(1, []), 0, async () => {})).rejects.toThrow(
      RangeError,
    );
  });
});

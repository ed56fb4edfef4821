import { describe, expect, it } from 'vitest';
import { WorkSlots } from '../../src/core/work-slots.ts';

describe('WorkSlots', () => {
  it('runs at most its number of sends at once, and all of them in the end', async () => {
    const slots = new WorkSlots(2);
    let running = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const done = Promise.all(
      Array.from({ length: 7 }, (_, index) =>
        slots.run(async () => {
          running += 1;
          most = Math.max(most, running);
          await new Promise<void>((resolve) => releases.push(resolve));
          running -= 1;
          return index;
        }),
      ),
    );
    // Release the running sends one at a time until all seven have run.
    for (let released = 0; released < 7; released++) {
      while (releases.length === 0) await Promise.resolve();
      expect(running).toBeLessThanOrEqual(2);
      releases.shift()?.();
      await Promise.resolve();
    }
    expect(await done).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(most).toBe(2);
  });

  it('frees the slot of a send that failed', async () => {
    const slots = new WorkSlots(1);
    await expect(slots.run(async () => Promise.reject(new Error('Slack said no')))).rejects.toThrow(
      'Slack said no',
    );
    expect(await slots.run(async () => 'next')).toBe('next');
  });
});

/**
 * Runs `work` on each item of `items`, at most `limit` at a time. The next item is taken
 * as soon as one is started, so producing it (a query) overlaps the work in progress.
 * After a failure (of the work or of taking the next item) nothing more is started; the
 * work already running is awaited, since each item's work must be safe to finish on its
 * own, then the first error is thrown.
 */
export async function forEachConcurrently<T>(
  items: AsyncIterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`the concurrency limit must be a whole number of at least 1: ${limit}`);
  }
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  try {
    for await (const item of items) {
      while (running.size >= limit && !failure) await Promise.race(running);
      if (failure) break;
      const task: Promise<void> = work(item)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => running.delete(task));
      running.add(task);
    }
  } finally {
    // Also when taking the next item failed: no work is left running unobserved.
    await Promise.all(running);
  }
  if (failure) throw failure.error;
}

/**
 * Polls a condition until it holds (never a fixed sleep to wait for work); fails with a
 * sentence after `ms`.
 */
export async function until(
  condition: () => Promise<boolean> | boolean,
  ms = 20_000,
  everyMs = 25,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`the condition did not hold within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

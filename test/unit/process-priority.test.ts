import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs test/fixtures/lower-priority.ts in a process of its own, started at `startedAt`. */
async function lowered(niceness: number, startedAt = 0) {
  const { stdout } = await promisify(execFile)(
    'nice',
    [
      '-n',
      String(startedAt),
      process.execPath,
      '--import',
      'tsx',
      'test/fixtures/lower-priority.ts',
      String(niceness),
    ],
    { cwd: ROOT },
  );
  return JSON.parse(stdout) as { result: { from: number; to: number }; threads: number[] };
}

// Each case runs in a child process: lowering the test's own would slow the rest of the suite.
describe("a process's CPU priority (a worker's)", () => {
  it('is lowered on every thread the process runs, not only the calling one', async () => {
    const { result, threads } = await lowered(10);
    expect(result).toEqual({ from: 0, to: 10 });
    // Node runs V8's and libuv's threads beside the main one.
    expect(threads.length).toBeGreaterThan(1);
    expect(threads).toEqual(threads.map(() => 10));
  });

  it('is never raised: a process started nicer stays as nice', async () => {
    const { result, threads } = await lowered(10, 15);
    expect(result).toEqual({ from: 15, to: 15 });
    expect(threads).toEqual(threads.map(() => 15));
  });
});

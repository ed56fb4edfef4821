import { describe, expect, inject, it } from 'vitest';
import type { Meter } from '../../../bench/built-plaudit.ts';
import { runProcess } from '../../support/npm-script.ts';

describe("the benches' meter of a Plaudit process", () => {
  it('times each statement from sending it to its result, by its opening words, and counts the pauses, since the line before', async () => {
    const run = await runProcess(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        './bench/plaudit-meter.mjs',
        'test/fixtures/metered-statements.mjs',
      ],
      { DATABASE_URL: inject('databaseUrl') },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { meter: Meter }).meter);
    expect(lines).toHaveLength(2);
    const [asked, atExit] = lines as [Meter, Meter];
    expect(asked.queries).toBe(12);

    // The eight that took the most time in all, most first: the sleep, then the two
    // numbered ones (comments left out) as one statement; whitespace made single spaces.
    const statements = asked.statements;
    expect(statements).toHaveLength(8);
    expect(statements.map((time) => [time.statement, time.count])).toEqual(
      expect.arrayContaining([
        ['select pg_sleep(0.1)', 1],
        ['select pg_sleep(0.02), $1::int as n', 2],
      ]),
    );
    expect(statements[0]?.statement).toBe('select pg_sleep(0.1)');
    expect(statements[0]?.p50Ms).toBeGreaterThanOrEqual(100);
    const totals = statements.map((time) => time.totalMs);
    expect(totals).toEqual([...totals].sort((a, b) => b - a));
    for (const time of statements) {
      expect(time.p50Ms).toBeLessThanOrEqual(time.p99Ms);
      expect(time.totalMs).toBeGreaterThanOrEqual(time.p99Ms);
    }

    // The line at exit has only what came after the one asked for; a failed statement
    // is counted as a round trip but not timed.
    expect(atExit.statements.map((time) => [time.statement, time.count])).toEqual([
      ['select 1 as after', 1],
    ]);
    expect(atExit.queries).toBe(14);

    // The two full collections and the loop held for 60 ms before the line asked for;
    // the line at exit counts collections afresh (its loop is not asserted: a busy
    // machine may hold any process that long).
    const major = asked.pauses.gc.major;
    expect(major?.count).toBeGreaterThanOrEqual(2);
    expect(major?.longestMs).toBeGreaterThan(0);
    expect(major?.totalMs).toBeGreaterThanOrEqual(major?.longestMs ?? Number.POSITIVE_INFINITY);
    expect(asked.pauses.loopDelay.maxMs).toBeGreaterThanOrEqual(50);
    expect(asked.pauses.loopDelay.p99Ms).toBeLessThanOrEqual(asked.pauses.loopDelay.maxMs);
    expect(atExit.pauses.gc.major).toBeUndefined();
  });
});

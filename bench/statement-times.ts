/**
 * Where a measured process's answers wait on Postgres: its statements' times, from sending
 * each to its result as the process saw them, summed up by bench/plaudit-meter.mjs.
 */

/** A statement's times during a stretch of a process's life (between two meter lines). */
export interface StatementTime {
  /** The statement's opening words (its comments left out). */
  readonly statement: string;
  /** How many were sent. */
  readonly count: number;
  /** All their times added up. */
  readonly totalMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Prints the statements of a run of `commands` commands, each per command. */
export function printStatementTimes(
  title: string,
  statements: readonly StatementTime[],
  commands: number,
): void {
  console.log(
    `\n${title}: the statements that took the most time in all, each from sending it to its result (Postgres's work, the wait for a CPU on either side, and the process's event loop until it read the result)\n`,
  );
  console.table(
    statements.map((time) => ({
      statement: time.statement,
      'per command': round(time.count / commands),
      'p50 ms': time.p50Ms,
      'p99 ms': time.p99Ms,
      'ms per command': round(time.totalMs / commands),
    })),
  );
}

const round = (value: number) => Math.round(value * 100) / 100;

import pg from 'pg';

/**
 * The statements this process sends to Postgres while `run` runs, as their text: every
 * pg client's query is counted, so the tests that hold a command to a number of round
 * trips see all of them, whichever pool connection each takes.
 */
export async function statementsDuring(run: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
    const [config] = args as [string | { text?: string } | undefined];
    sent.push(typeof config === 'string' ? config : (config?.text ?? ''));
    return (query as (...rest: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    await run();
  } finally {
    pg.Client.prototype.query = query;
  }
  return sent;
}

import type { Logger } from 'pino';
import { rollUpAllKudos } from '../console/insights/kudos-rollups.ts';
import type { Database } from '../db/database.ts';
import type { JobHandler, Jobs } from './job-queue.ts';
import { keepTrying } from './keep-trying.ts';

export const ROLL_UP_KUDOS = 'roll-up-kudos';

/** The id of the roll-ups' job scheduler on the ledger queue (the books' upkeep). */
export const KUDOS_ROLLUP_ID = 'kudos-rollups';

/**
 * Every hour: a day that ends is rolled up within the hour after it ends in any time
 * zone, and a day reopened (a reversal) is counted again soon after.
 */
export const KUDOS_ROLLUP_PATTERN = '7 * * * *';

/**
 * Keeps the roll-ups' schedule in the background, trying again while Redis is away, as
 * the other schedules are kept. Resolves when scheduled or stopped.
 */
export async function keepKudosRollups(
  jobs: Jobs,
  logger: Logger,
  signal: AbortSignal,
  retryMs = 5000,
): Promise<void> {
  await keepTrying(
    'the kudos roll-ups',
    () =>
      jobs.schedule('ledger', {
        id: KUDOS_ROLLUP_ID,
        pattern: KUDOS_ROLLUP_PATTERN,
        timezone: 'UTC',
        job: { name: ROLL_UP_KUDOS, data: {} },
      }),
    logger,
    signal,
    retryMs,
  );
}

/** The ledger queue's handler that rolls every organization's closed days up. */
export function kudosRollupHandlers(
  db: Database,
  logger: Logger,
): Readonly<Record<string, JobHandler>> {
  return {
    [ROLL_UP_KUDOS]: async () => {
      const started = performance.now();
      const { organizations } = await rollUpAllKudos(db);
      logger.info(
        { organizations, ms: Math.round(performance.now() - started) },
        'kudos rolled up',
      );
    },
  };
}

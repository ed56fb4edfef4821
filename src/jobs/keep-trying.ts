import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { deadline } from '../core/deadline.ts';

/**
 * Runs queue set-up (schedules) in the background: a process must start, and give kudos,
 * while Redis is away, so each try is bounded and a failed one is tried again every
 * `retryMs` until it succeeds or the signal stops it. Resolves when done or stopped.
 */
export async function keepTrying(
  what: string,
  work: () => Promise<void>,
  logger: Logger,
  signal: AbortSignal,
  retryMs = 5000,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await deadline(work(), 15_000, 'Redis', signal);
      return;
    } catch (error) {
      if (signal.aborted) return;
      logger.warn({ err: error }, `could not schedule ${what} yet; trying again`);
      await sleep(retryMs, undefined, { signal }).catch(() => undefined);
    }
  }
}

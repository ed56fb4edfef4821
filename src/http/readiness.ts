import { sql } from 'kysely';
import type { Logger } from 'pino';
import { deadline } from '../core/deadline.ts';
import type { Database } from '../db/database.ts';

/**
 * How long a readiness check waits for the database: a probe that hangs is no answer to a
 * load balancer, and a database that takes longer than this is not ready to serve.
 */
export const READINESS_DATABASE_MS = 2_000;

/** Whether the process's database and Redis answer (Redis is 'not used' with inline jobs). */
export interface Readiness {
  readonly database: 'ok' | 'unreachable';
  readonly redis: 'ok' | 'not used' | 'unreachable';
}

/**
 * Asks the database (`select 1`, bounded) and Redis (`pingRedis`, bounded by `Jobs.ping`)
 * at once; /readyz answers from it and /metrics reports it as `plaudit_dependency_up`.
 * A failure is logged at `level` (a warning for /readyz; debug for scrapes, which repeat).
 */
export async function checkReadiness(
  db: Database,
  pingRedis: () => Promise<'ok' | 'not used'>,
  log: Logger,
  level: 'warn' | 'debug' = 'warn',
): Promise<Readiness> {
  const [database, redis] = await Promise.all([
    deadline(sql`select 1`.execute(db), READINESS_DATABASE_MS, 'the database').then(
      () => 'ok' as const,
      (error: unknown) => {
        log[level]({ err: error }, 'readiness check failed: database unreachable');
        return 'unreachable' as const;
      },
    ),
    pingRedis().catch((error: unknown) => {
      log[level]({ err: error }, 'readiness check failed: Redis unreachable');
      return 'unreachable' as const;
    }),
  ]);
  return { database, redis };
}

/** Ready to serve: the database answers, and Redis does too when the process uses it. */
export const isReady = (readiness: Readiness) =>
  readiness.database === 'ok' && readiness.redis !== 'unreachable';

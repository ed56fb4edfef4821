import express, { type Express } from 'express';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';

export interface HttpDependencies {
  readonly db: Database;
  readonly logger: Logger;
}

/** The HTTP surface. Later adapters (Slack, Teams, console, admin API) mount here. */
export function createHttpApp({ db, logger }: HttpDependencies): Express {
  const app = express();
  app.disable('x-powered-by');

  /** The process is up. */
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /** The database answers; a load balancer sends traffic only when this is 200. */
  app.get('/readyz', async (_req, res) => {
    try {
      await sql`select 1`.execute(db);
      res.json({ status: 'ready', database: 'ok' });
    } catch (error) {
      logger.warn({ err: error }, 'readiness check failed: database unreachable');
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    }
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'There is nothing at this address.' });
  });
  return app;
}

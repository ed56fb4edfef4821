import express, { type Express, type Router } from 'express';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';

export interface HttpDependencies {
  readonly db: Database;
  readonly logger: Logger;
  /** Adapter routes (the local console, later Slack and Teams), mounted at the root. */
  readonly mount?: readonly Router[];
}

/** The HTTP surface. Later adapters (Slack, Teams, console, admin API) mount here. */
export function createHttpApp({ db, logger, mount = [] }: HttpDependencies): Express {
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

  for (const routes of mount) app.use(routes);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'There is nothing at this address.' });
  });
  app.use(((error, _req, res, _next) => {
    logger.error({ err: error }, 'request failed');
    res.status(500).json({
      error: 'internal',
      message: 'Something went wrong on our side; please try again.',
    });
  }) as express.ErrorRequestHandler);
  return app;
}

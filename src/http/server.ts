import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { stampArrival } from './arrival.ts';
import { checkReadiness, isReady } from './readiness.ts';
import { requestIds, requestLogger } from './request-id.ts';

export interface HttpDependencies {
  readonly db: Database;
  readonly logger: Logger;
  /**
   * Asks Redis (the job queues' store) whether it answers: 'ok', 'not used' in local mode
   * (no REDIS_URL), or a rejection when unreachable. Bounded in time (`Jobs.ping`).
   */
  readonly pingRedis: () => Promise<'ok' | 'not used'>;
  /** Adapter routes (the local console, later Slack and Teams), mounted at the root. */
  readonly mount?: readonly Router[];
  /** Counts and times every request, before any route answers (`PlauditMetrics.middleware`). */
  readonly observeRequests?: RequestHandler;
  /**
   * The proxies whose X-Forwarded-For gives the client's address (TRUST_PROXY), read by
   * the failed-authentication limit as `req.ip`; none when absent.
   */
  readonly trustProxy?: readonly string[];
}

/** The HTTP surface. Later adapters (Slack, Teams, console, admin API) mount here. */
export function createHttpApp({
  db,
  logger,
  pingRedis,
  mount = [],
  observeRequests,
  trustProxy,
}: HttpDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  if (trustProxy) app.set('trust proxy', [...trustProxy]);
  app.use(stampArrival);
  app.use(requestIds(logger));
  if (observeRequests) app.use(observeRequests);

  /** The process is up. */
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /**
   * The database and Redis (when configured) answer; a load balancer sends traffic only
   * when this is 200. A 503 names which one is unreachable.
   */
  app.get('/readyz', async (_req, res) => {
    const readiness = await checkReadiness(db, pingRedis, requestLogger(res, logger));
    const ready = isReady(readiness);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', ...readiness });
  });

  for (const routes of mount) app.use(routes);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'There is nothing at this address.' });
  });
  app.use(((error, req, res, _next) => {
    const unreadable = unreadableBody(error);
    if (unreadable) {
      requestLogger(res, logger).info(
        { method: req.method, path: req.path, status: unreadable.status },
        'a request body could not be read',
      );
      res.status(unreadable.status).json({ error: unreadable.code, message: unreadable.message });
      return;
    }
    requestLogger(res, logger).error(
      { err: error, method: req.method, path: req.path },
      'request failed',
    );
    res.status(500).json({
      error: 'internal',
      message: 'Something went wrong on our side; please try again.',
    });
  }) as express.ErrorRequestHandler);
  return app;
}

/**
 * A body the request's parser refused (express's body-parser: too large, not JSON, an
 * encoding it does not know), as the 4xx it is with a sentence; undefined for anything
 * else, which is a fault here. A route that reads such errors itself answers first.
 */
function unreadableBody(
  error: unknown,
): { status: number; code: string; message: string } | undefined {
  const { type, status, expose, limit } = (error ?? {}) as {
    type?: unknown;
    status?: unknown;
    expose?: unknown;
    limit?: unknown;
  };
  if (typeof type !== 'string' || expose !== true || typeof status !== 'number') return undefined;
  if (status < 400 || status > 499) return undefined;
  if (status === 413) {
    const most = typeof limit === 'number' ? `the ${limit.toLocaleString('en')} bytes` : 'what';
    return {
      status,
      code: 'too_large',
      message: `The body is larger than ${most} this address takes; nothing was done.`,
    };
  }
  return {
    status,
    code: 'bad_request',
    message: `The body could not be read (${(error as Error).message}); nothing was done.`,
  };
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type RequestHandler, type Router } from 'express';
import { BullJobs } from '../jobs/bullmq-jobs.ts';
import type { Jobs, QueueName } from '../jobs/job-queue.ts';

export const DASHBOARD_PATH = '/admin/queues';

const QUEUES: readonly QueueName[] = ['allowance', 'notifications', 'redemptions'];

/** Compares secrets in constant time (digests first, so lengths do not leak either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The admin token as an HTTP Basic password (any user name, for browsers) or a bearer token. */
function requireAdminToken(token: string): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const [scheme = '', value = ''] = header.split(' ', 2);
    let given = '';
    if (scheme.toLowerCase() === 'bearer') given = value;
    if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      given = decoded.slice(decoded.indexOf(':') + 1);
    }
    if (given !== '' && sameSecret(given, token)) return next();
    res
      .status(401)
      .set('WWW-Authenticate', 'Basic realm="Plaudit queues", charset="UTF-8"')
      .json({ error: 'unauthorized', message: 'The queue dashboard needs the admin token.' });
  };
}

/**
 * bull-board at /admin/queues, for operators: queue depths, jobs, failures and retries.
 * It needs BullMQ (Redis) and PLAUDIT_ADMIN_TOKEN; otherwise the address says why it is off.
 */
export function queueDashboard(jobs: Jobs, adminToken: string | undefined): Router {
  const router = express.Router();
  if (!(jobs instanceof BullJobs) || !adminToken) {
    const reason = !adminToken
      ? 'The queue dashboard is off: set PLAUDIT_ADMIN_TOKEN to turn it on.'
      : 'The queue dashboard needs Redis (REDIS_URL): jobs run inline here.';
    router.use(DASHBOARD_PATH, (_req, res) => {
      res.status(404).json({ error: 'not_found', message: reason });
    });
    return router;
  }
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: QUEUES.map((name) => new BullMQAdapter(jobs.queue(name))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Plaudit queues' } },
  });
  router.use(DASHBOARD_PATH, requireAdminToken(adminToken), serverAdapter.getRouter());
  return router;
}

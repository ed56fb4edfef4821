import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type Router } from 'express';
import { BullJobs } from '../jobs/bullmq-jobs.ts';
import { type Jobs, QUEUE_NAMES } from '../jobs/job-queue.ts';
import { requireAdminToken } from './admin-token.ts';
import type { FailedAuthentications } from './failed-authentications.ts';

export const DASHBOARD_PATH = '/admin/queues';

/**
 * bull-board at /admin/queues, for operators: queue depths, jobs, failures and retries.
 * It needs BullMQ (Redis) and PLAUDIT_ADMIN_TOKEN; otherwise the address says why it is off.
 */
export function queueDashboard(
  jobs: Jobs,
  adminToken: string | undefined,
  failures: FailedAuthentications,
): Router {
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
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(jobs.queue(name))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Plaudit queues' } },
  });
  router.use(
    DASHBOARD_PATH,
    requireAdminToken(adminToken, 'The queue dashboard needs the admin token.', failures),
    serverAdapter.getRouter(),
  );
  return router;
}

import express, { type Router } from 'express';
import { type Jobs, onBullMQ } from '../jobs/job-queue.ts';
import { requireAdminToken } from './admin-token.ts';
import type { FailedAuthentications } from './failed-authentications.ts';

export const DASHBOARD_PATH = '/admin/queues';

/**
 * bull-board at /admin/queues, for operators: queue depths, jobs, failures and retries.
 * It needs BullMQ (Redis) and PLAUDIT_ADMIN_TOKEN; otherwise the address says why it is off,
 * and bull-board is not loaded (a third of a second of a start on a 2-core machine).
 */
export async function queueDashboard(
  jobs: Jobs,
  adminToken: string | undefined,
  failures: FailedAuthentications,
): Promise<Router> {
  const router = express.Router();
  if (!onBullMQ(jobs) || !adminToken) {
    const reason = !adminToken
      ? 'The queue dashboard is off: set PLAUDIT_ADMIN_TOKEN to turn it on.'
      : 'The queue dashboard needs Redis (REDIS_URL): jobs run inline here.';
    router.use(DASHBOARD_PATH, (_req, res) => {
      res.status(404).json({ error: 'not_found', message: reason });
    });
    return router;
  }
  const { bullBoardRouter } = await import('./bull-board.ts');
  router.use(
    DASHBOARD_PATH,
    requireAdminToken(adminToken, 'The queue dashboard needs the admin token.', failures),
    bullBoardRouter(jobs, DASHBOARD_PATH),
  );
  return router;
}

import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Router } from 'express';
import type { BullJobs } from '../jobs/bullmq-jobs.ts';
import { QUEUE_NAMES } from '../jobs/job-queue.ts';

/** bull-board's pages and API for every queue, served under `basePath`. */
export function bullBoardRouter(jobs: BullJobs, basePath: string): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(jobs.queue(name))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Plaudit queues' } },
  });
  return serverAdapter.getRouter();
}

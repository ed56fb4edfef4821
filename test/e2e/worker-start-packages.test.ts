import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { logLine, type PlauditProcess, startWorkerProcess } from '../support/worker-process.ts';

const WATCH = fileURLToPath(new URL('../support/loaded-packages.mjs', import.meta.url));

/**
 * What a worker loads to start is what every start of one costs (on this 2-core machine,
 * botbuilder alone was a third of a local-mode worker's start, and teams-ai had been a
 * third more): the packages that serve Teams' activities, or send to Teams, wait until a
 * send needs them (teams-ai is bundled into dist/, botbuilder loaded from node_modules:
 * the watch sees both).
 */
describe("a worker process's start", () => {
  let worker: PlauditProcess | undefined;
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await worker?.exited;
  });

  it('takes jobs in local mode without loading botbuilder or teams-ai, which wait for a send to Teams', async () => {
    worker = startWorkerProcess({
      DATABASE_URL: inject('databaseUrl'),
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: `worker-start-packages-${process.pid}`,
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--import ${WATCH}`,
      PLAUDIT_TEST_PACKAGES: 'botbuilder,@microsoft/teams-ai,pg',
    });
    await logLine(worker, 'Plaudit worker is taking jobs');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    // pg, which it runs on (loaded from node_modules, as botbuilder is): the watch sees it.
    expect(worker.output()).toContain('loaded packages: ["pg"]');
  });
});

import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFreshDatabase, type FreshDatabase } from '../support/fresh-database.ts';
import { logLine, type PlauditProcess, startPlauditProcess } from '../support/worker-process.ts';

const WATCH = fileURLToPath(new URL('../support/loaded-packages.mjs', import.meta.url));

/**
 * What a web process loads to start is what every start of one costs: bull-board, the
 * queue dashboard, was a third of a second of a local-mode start on this 2-core machine,
 * loaded even where the dashboard is off. It waits until the dashboard is on.
 */
describe("a web process's start", () => {
  let web: PlauditProcess | undefined;
  let database: FreshDatabase | undefined;
  afterAll(async () => {
    web?.child.kill('SIGKILL');
    await web?.exited;
    await database?.drop();
  });

  it('serves on BullMQ without loading bull-board while the queue dashboard is off (no admin token)', async () => {
    // A database of its own: a process with no chat platform configured seeds local mode's demo.
    database = await createFreshDatabase('web_start_packages', { migrated: true });
    web = startPlauditProcess({
      DATABASE_URL: database.url,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: `web-start-packages-${process.pid}`,
      PLAUDIT_ROLE: 'web',
      PORT: '0',
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--import ${WATCH}`,
      PLAUDIT_TEST_PACKAGES: '@bull-board/api,@bull-board/express,pg',
    });
    const listening = await logLine(web, 'Plaudit is listening');
    const dashboard = await fetch(`${listening.url}/admin/queues`);
    expect(dashboard.status).toBe(404);
    expect(await dashboard.json()).toMatchObject({ message: expect.stringMatching(/ADMIN_TOKEN/) });
    web.child.kill('SIGTERM');
    expect(await web.exited).toEqual({ code: 0, signal: null });
    // pg, which it runs on (CommonJS from node_modules, as bull-board is): the watch sees it.
    expect(web.output()).toContain('loaded packages: ["pg"]');
  });
});

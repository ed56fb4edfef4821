import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFreshDatabase, type FreshDatabase } from '../support/fresh-database.ts';
import { logLine, type PlauditProcess, startPlauditProcess } from '../support/worker-process.ts';

const WATCH = fileURLToPath(new URL('../support/loaded-packages.mjs', import.meta.url));

/**
 * What a web process loads to start is what every start of one costs: bull-board, the
 * queue dashboard, was a third of a second of a local-mode start on this 2-core machine,
 * loaded even where the dashboard is off, and BullMQ a sixth, loaded where jobs run inline.
 * Each waits until it is used.
 */
describe("a web process's start", () => {
  const started: PlauditProcess[] = [];
  const databases: FreshDatabase[] = [];
  afterAll(async () => {
    for (const web of started) {
      web.child.kill('SIGKILL');
      await web.exited;
    }
    for (const database of databases) await database.drop();
  });

  /**
   * Starts a web process on a database of its own (a process with no chat platform
   * configured seeds local mode's demo there), watching these packages, and stops it once
   * it listens: resolves with what it printed, and its /admin/queues answer.
   */
  async function startAndStop(env: Record<string, string>, packages: readonly string[]) {
    const database = await createFreshDatabase('web_start_packages', { migrated: true });
    databases.push(database);
    const web = startPlauditProcess({
      DATABASE_URL: database.url,
      PLAUDIT_ROLE: 'web',
      PORT: '0',
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--import ${WATCH}`,
      PLAUDIT_TEST_PACKAGES: packages.join(','),
      ...env,
    });
    started.push(web);
    const listening = await logLine(web, 'Plaudit is listening');
    const dashboard = await fetch(`${listening.url}/admin/queues`);
    web.child.kill('SIGTERM');
    expect(await web.exited).toEqual({ code: 0, signal: null });
    return { output: web.output(), dashboard };
  }

  it('serves on BullMQ without loading bull-board while the queue dashboard is off (no admin token)', async () => {
    const { output, dashboard } = await startAndStop(
      { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: `web-start-packages-${process.pid}` },
      ['@bull-board/api', '@bull-board/express', 'bullmq', 'pg'],
    );
    expect(dashboard.status).toBe(404);
    expect(await dashboard.json()).toMatchObject({ message: expect.stringMatching(/ADMIN_TOKEN/) });
    // pg, loaded from node_modules as bull-board would be, and BullMQ, bundled into dist/,
    // which it runs on: the watch sees both kinds.
    expect(output).toContain('loaded packages: ["bullmq","pg"]');
  });

  it('serves with jobs inline (no Redis) without loading BullMQ', async () => {
    const { output, dashboard } = await startAndStop({ PLAUDIT_ROLE: 'all' }, ['bullmq', 'kysely']);
    expect(dashboard.status).toBe(404);
    // kysely, which it runs on (bundled into dist/, as BullMQ is): the watch sees it.
    expect(output).toContain('loaded packages: ["kysely"]');
  });
});

import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';

/**
 * Redis is only for jobs: with it away, Plaudit starts, gives kudos (the ledger is in
 * Postgres) and stops in bounded time. Here REDIS_URL names a port nothing listens on.
 */
describe('with Redis away', () => {
  let plaudit: RunningPlaudit;

  beforeAll(async () => {
    const started = performance.now();
    plaudit = await startPlaudit(
      parseConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        // Real Postgres: this is about Redis, and the embedded database's start-up would
        // take most of the time allowed on a loaded machine.
        DATABASE_URL: inject('databaseUrl'),
        REDIS_URL: 'redis://127.0.0.1:1',
        JOBS_LOCK_MS: '2000',
      }),
    );
    // Start-up does not wait for Redis (it would never come).
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('gives kudos, and stops within its grace period', async () => {
    const response = await fetch(`${plaudit.url}/api/console/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ member: 'ana', text: '/kudos @li 5 for working without Redis' }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { reply: { text: string; outcome: string } };
    expect(body.reply.outcome).toBe('ok');
    expect(body.reply.text).toContain('You gave 5 points to Li Wei');

    const closing = performance.now();
    await plaudit.close();
    expect(performance.now() - closing).toBeLessThan(10_000);
  });
});

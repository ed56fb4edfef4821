import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { parseExposition } from '../support/exposition.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { until } from '../support/until.ts';

interface Readiness {
  readonly status: number;
  readonly body: { status: string; database: string; redis: string };
}

async function readiness(url: string): Promise<Readiness> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
}

/** What /metrics reports of the dependencies (`plaudit_dependency_up`), by dependency. */
async function dependenciesUp(url: string): Promise<Record<string, number>> {
  const samples = parseExposition(await (await fetch(`${url}/metrics`)).text());
  return Object.fromEntries(
    samples
      .filter((sample) => sample.name === 'plaudit_dependency_up')
      .map((sample) => [sample.labels.dependency, sample.value]),
  );
}

/** Polls /readyz until it answers `status`; the body of that answer. */
async function readinessBecomes(url: string, status: number): Promise<Readiness['body']> {
  let last: Readiness | undefined;
  await until(async () => {
    last = await readiness(url);
    return last.status === status;
  });
  return (last as Readiness).body;
}

/**
 * /readyz reports Postgres and Redis: it turns unhealthy when Redis goes away and healthy
 * again when it returns. Redis "goes away" behind a TCP proxy, so the real one, shared by
 * other tests, keeps running.
 */
describe('readiness with Redis going away and coming back', () => {
  const redisUrl = new URL(inject('redisUrl'));
  const proxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
  let plaudit: RunningPlaudit;

  beforeAll(async () => {
    await proxy.start();
    plaudit = await startPlaudit(
      parseConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: inject('databaseUrl'),
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        REDIS_PREFIX: `test-readiness-${randomUUID()}`,
        PLAUDIT_ROLE: 'web',
        JOBS_LOCK_MS: '2000',
      }),
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    await proxy.cut();
  });

  it('is ready, unavailable (naming Redis) while Redis is cut, and ready again', async () => {
    expect(await readinessBecomes(plaudit.url, 200)).toEqual({
      status: 'ready',
      database: 'ok',
      redis: 'ok',
    });
    // Prometheus sees the same (the alert PlauditNotReady reads it).
    expect(await dependenciesUp(plaudit.url)).toEqual({ database: 1, redis: 1 });

    await proxy.cut();
    expect(await readinessBecomes(plaudit.url, 503)).toEqual({
      status: 'unavailable',
      database: 'ok',
      redis: 'unreachable',
    });
    expect(await dependenciesUp(plaudit.url)).toEqual({ database: 1, redis: 0 });

    await proxy.start();
    expect(await readinessBecomes(plaudit.url, 200)).toEqual({
      status: 'ready',
      database: 'ok',
      redis: 'ok',
    });
    expect(await dependenciesUp(plaudit.url)).toEqual({ database: 1, redis: 1 });
  });
});

describe('readiness without Redis (local mode)', () => {
  let plaudit: RunningPlaudit;

  beforeAll(async () => {
    plaudit = await startPlaudit(
      parseConfig({ PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: inject('databaseUrl') }),
    );
  });
  afterAll(async () => {
    await plaudit?.close();
  });

  it('reports Redis as not used', async () => {
    expect(await readiness(plaudit.url)).toEqual({
      status: 200,
      body: { status: 'ready', database: 'ok', redis: 'not used' },
    });
    expect(await dependenciesUp(plaudit.url)).toEqual({ database: 1 });
  });
});

/**
 * A Postgres that hangs (a frozen host, a partitioned network) answers nothing, not even a
 * refusal: /readyz must still answer, within its own bound, rather than wait with it. The
 * statement limit is set far above the test's time, so only the readiness bound can answer.
 */
describe('readiness with Postgres frozen and thawed', () => {
  const target = new URL(inject('databaseUrl'));
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  let plaudit: RunningPlaudit;

  beforeAll(async () => {
    await proxy.start();
    const url = new URL(target);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    plaudit = await startPlaudit(
      parseConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: url.href,
        DATABASE_STATEMENT_TIMEOUT_MS: '120000',
        DATABASE_CONNECT_TIMEOUT_MS: '120000',
      }),
    );
  });
  afterAll(async () => {
    proxy.thaw();
    await plaudit?.close();
    await proxy.cut();
  });

  it('answers 503 naming the database while it hangs, and 200 once it answers again', async () => {
    expect(await readinessBecomes(plaudit.url, 200)).toMatchObject({ database: 'ok' });
    proxy.freeze();
    expect(await readiness(plaudit.url)).toEqual({
      status: 503,
      body: { status: 'unavailable', database: 'unreachable', redis: 'not used' },
    });
    expect(await dependenciesUp(plaudit.url)).toEqual({ database: 0 });
    proxy.thaw();
    expect(await readinessBecomes(plaudit.url, 200)).toMatchObject({ database: 'ok' });
    expect(await dependenciesUp(plaudit.url)).toEqual({ database: 1 });
  });
});

import { randomUUID } from 'node:crypto';
import express from 'express';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../../src/app.ts';
import { ConfigError, parseConfig } from '../../../src/config.ts';
import { FailedAuthentications } from '../../../src/http/failed-authentications.ts';
import { closeHttpServer, listenHttp } from '../../../src/http/listen.ts';
import { PlauditMetrics } from '../../../src/http/metrics.ts';
import { memoryRateLimits } from '../../../src/http/rate-limit.ts';
import { createFreshDatabase, type FreshDatabase } from '../../support/fresh-database.ts';

const METRICS_TOKEN = 'scrape-token-for-prometheus-0123456789';
const ADMIN_TOKEN = 'operators-admin-token-0123456789abcdef';
const STRANGER = 'a-token-nobody-configured-0123456789';

/** The status /metrics answers with, for each way of asking. */
async function statuses(tokens: { PLAUDIT_ADMIN_TOKEN?: string; METRICS_TOKEN?: string }) {
  const logger = pino({ level: 'silent' });
  const failures = FailedAuthentications.within(memoryRateLimits(), 30);
  const app = express().use(new PlauditMetrics(undefined, logger).routes(tokens, failures));
  const { server, url } = await listenHttp(app, 0, '127.0.0.1');
  try {
    const ask = async (authorization?: string) =>
      (
        await fetch(`${url}/metrics`, {
          headers: authorization === undefined ? {} : { authorization },
        })
      ).status;
    const basic = (password: string) =>
      `Basic ${Buffer.from(`prometheus:${password}`).toString('base64')}`;
    return {
      none: await ask(),
      metrics: await ask(`Bearer ${METRICS_TOKEN}`),
      metricsBasic: await ask(basic(METRICS_TOKEN)),
      admin: await ask(`Bearer ${ADMIN_TOKEN}`),
      stranger: await ask(`Bearer ${STRANGER}`),
    };
  } finally {
    await closeHttpServer(server);
  }
}

describe('METRICS_TOKEN, a scrape token beside the admin token', () => {
  it('leaves /metrics open when neither token is set', async () => {
    expect(await statuses({})).toEqual({
      none: 200,
      metrics: 200,
      metricsBasic: 200,
      admin: 200,
      stranger: 200,
    });
  });

  it('asks for the admin token when only it is set, as before', async () => {
    expect(await statuses({ PLAUDIT_ADMIN_TOKEN: ADMIN_TOKEN })).toEqual({
      none: 401,
      metrics: 401,
      metricsBasic: 401,
      admin: 200,
      stranger: 401,
    });
  });

  it('takes the metrics token alone when only it is set', async () => {
    expect(await statuses({ METRICS_TOKEN })).toEqual({
      none: 401,
      metrics: 200,
      metricsBasic: 200,
      admin: 401,
      stranger: 401,
    });
  });

  it('takes either when both are set', async () => {
    expect(await statuses({ METRICS_TOKEN, PLAUDIT_ADMIN_TOKEN: ADMIN_TOKEN })).toEqual({
      none: 401,
      metrics: 200,
      metricsBasic: 200,
      admin: 200,
      stranger: 401,
    });
  });

  it('refuses a short token with one sentence naming the variable, never the value', () => {
    let refusal: unknown;
    try {
      parseConfig({ METRICS_TOKEN: 'too-short-a-secret' });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as ConfigError).message).toBe(
      'METRICS_TOKEN must be at least 24 characters (e.g. openssl rand -hex 24).',
    );
  });
});

describe('a web process with METRICS_TOKEN', () => {
  const prefix = `test-metrics-token-${randomUUID()}`;
  let database: FreshDatabase;
  let plaudit: RunningPlaudit;

  beforeAll(async () => {
    database = await createFreshDatabase('metrics_token', { migrated: true });
    plaudit = await startPlaudit(
      parseConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: database.url,
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: prefix,
        PLAUDIT_ADMIN_TOKEN: ADMIN_TOKEN,
        METRICS_TOKEN,
      }),
      { print: () => {} },
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    const redis = new Redis(inject('redisUrl'));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database?.drop();
  });

  const get = async (path: string, token: string) =>
    (await fetch(`${plaudit.url}${path}`, { headers: { authorization: `Bearer ${token}` } }))
      .status;

  it('opens the metrics with it, and nothing the admin token opens', async () => {
    expect(await get('/metrics', METRICS_TOKEN)).toBe(200);
    expect(await get('/metrics', ADMIN_TOKEN)).toBe(200);
    for (const path of ['/admin/queues', '/admin/statements', '/api/v1/members']) {
      expect(await get(path, ADMIN_TOKEN), path).not.toBe(401);
      expect(await get(path, METRICS_TOKEN), path).toBe(401);
    }
  });
});

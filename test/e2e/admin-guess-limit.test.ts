import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';

const TOKEN = 'guess-limit-test-admin-token-0123456789';
const WRONG = 'Bearer not-the-admin-token-at-all-0000000';
const LIMIT = 3;

/**
 * GET from a client address of this machine's own (127.0.0.x: each test guesses from its
 * own, as separate attackers would), with an Authorization header when given.
 */
function getFrom(
  base: string,
  from: string,
  path: string,
  authorization?: string,
): Promise<{ status: number; retryAfter: string | undefined }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const sent = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        localAddress: from,
        headers: authorization ? { authorization } : {},
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            retryAfter: response.headers['retry-after'],
          }),
        );
      },
    );
    sent.on('error', reject);
    sent.end();
  });
}

/**
 * The admin token's addresses limit failed guesses per client address as the API does
 * (API_AUTH_FAILURE_LIMIT, one count for all of them): past it, 429 whatever the token.
 */
describe('the failed-guess limit of the admin token', () => {
  const prefix = `test-guesses-${randomUUID()}`;
  let plaudit: RunningPlaudit;

  beforeAll(async () => {
    plaudit = await startPlaudit(
      parseConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: inject('databaseUrl'),
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: prefix,
        // A web process: no worker here takes (or runs) other tests' jobs.
        PLAUDIT_ROLE: 'web',
        PLAUDIT_ADMIN_TOKEN: TOKEN,
        API_AUTH_FAILURE_LIMIT: String(LIMIT),
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
  });

  const routes: Array<[string, string]> = [
    ['/admin/queues', '127.0.0.2'],
    ['/metrics', '127.0.0.3'],
    ['/admin/statements', '127.0.0.4'],
  ];
  for (const [path, from] of routes) {
    it(`${path}: a right token works until the limit; past it, every guess gets 429 and nothing is compared`, async () => {
      const get = (authorization?: string) => getFrom(plaudit.url, from, path, authorization);
      expect((await get(`Bearer ${TOKEN}`)).status).toBe(200);
      for (let guess = 1; guess < LIMIT; guess++) expect((await get(WRONG)).status).toBe(401);
      // One failure short of the limit: the right token is still let in.
      expect((await get(`Bearer ${TOKEN}`)).status).toBe(200);
      expect((await get(WRONG)).status).toBe(401);

      const throttled = await get(WRONG);
      expect(throttled.status).toBe(429);
      expect(Number(throttled.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(throttled.retryAfter)).toBeLessThanOrEqual(60);
      // A hit must look like a miss, or guessing would go on at full speed.
      expect((await get(`Bearer ${TOKEN}`)).status).toBe(429);
      const basic = `Basic ${Buffer.from(`operator:${TOKEN}`).toString('base64')}`;
      expect((await get(basic)).status).toBe(429);
      // Without credentials nothing is guessed: the usual 401.
      expect((await get()).status).toBe(401);
      // One count for every address that takes a secret, the API's too.
      expect((await getFrom(plaudit.url, from, '/api/v1/members', WRONG)).status).toBe(429);
      // Another client address is not locked out.
      expect((await getFrom(plaudit.url, '127.0.0.9', path, `Bearer ${TOKEN}`)).status).toBe(200);
    });
  }
});

import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';

describe('the queue dashboard at /admin/queues', () => {
  const token = randomBytes(24).toString('hex');
  const prefix = `test-dashboard-${randomUUID()}`;
  let plaudit: RunningPlaudit;
  const get = (path: string, authorization?: string) =>
    fetch(`${plaudit.url}${path}`, { headers: authorization ? { authorization } : {} });
  const basic = (password: string) =>
    `Basic ${Buffer.from(`operator:${password}`).toString('base64')}`;

  beforeAll(async () => {
    plaudit = await startPlaudit(
      parseConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: inject('databaseUrl'),
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: prefix,
        // A web process: no worker here takes (or runs) other tests' resets.
        PLAUDIT_ROLE: 'web',
        PLAUDIT_ADMIN_TOKEN: token,
      }),
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    const redis = new Redis(inject('redisUrl'));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('asks for the admin token, and refuses a wrong one', async () => {
    for (const authorization of [undefined, basic('wrong'), `Bearer ${token}x`, 'Basic !!!']) {
      const response = await get('/admin/queues', authorization);
      expect(response.status, authorization).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Basic');
      expect(await response.text()).not.toContain(token);
    }
    const api = await get('/admin/queues/api/queues');
    expect(api.status).toBe(401);
  });

  it('shows the queues to an operator with the token, as a password or a bearer token', async () => {
    const page = await get('/admin/queues', basic(token));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const api = await get('/admin/queues/api/queues', `Bearer ${token}`);
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: Array<{ name: string }> };
    expect(body.queues.map((queue) => queue.name)).toEqual([
      'allowance',
      'ledger',
      'notifications',
      'redemptions',
    ]);
  });

  it('is off, with a sentence, without Redis or without a token', async () => {
    const local = await startPlaudit(
      parseConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: inject('databaseUrl'),
        PLAUDIT_ADMIN_TOKEN: token,
      }),
    );
    try {
      const response = await fetch(`${local.url}/admin/queues`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: 'not_found',
        message: 'The queue dashboard needs Redis (REDIS_URL): jobs run inline here.',
      });
    } finally {
      await local.close();
    }
  });
});

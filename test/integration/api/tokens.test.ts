import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiToken, newTokenSecret, revokeApiToken } from '../../../src/admin/api-tokens.ts';
import { type RunningPlaudit, startPlaudit } from '../../../src/app.ts';
import { parseConfig } from '../../../src/config.ts';
import type { Database } from '../../../src/db/database.ts';
import { FakeSlackApi } from '../../support/fake-slack-api.ts';
import { createFreshDatabase, type FreshDatabase } from '../../support/fresh-database.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';
import { until } from '../../support/until.ts';
import { type ApiOrganization, createApiOrganization } from './api-organization.ts';
import { type ApiPlaudit, startApiPlaudit } from './api-plaudit.ts';

/** Everything a running Plaudit logs, as text. */
function logCapture() {
  const lines: string[] = [];
  return {
    destination: { write: (line: string) => void lines.push(line) },
    text: () => lines.join(''),
  };
}

const api = (
  plaudit: RunningPlaudit,
  path: string,
  init: RequestInit & { secret?: string } = {},
) => {
  const { secret, ...rest } = init;
  return fetch(`${plaudit.url}/api/v1${path}`, {
    ...rest,
    headers: {
      ...(secret !== undefined && { authorization: `Bearer ${secret}` }),
      ...(rest.body !== undefined && { 'content-type': 'application/json' }),
      ...(rest.headers as Record<string, string> | undefined),
    },
  });
};

async function auditRows(db: Database, organizationId: number) {
  return db
    .selectFrom('audit_log')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('id')
    .execute();
}

describe('API tokens', () => {
  let running: ApiPlaudit;
  let plaudit: RunningPlaudit;
  let org: ApiOrganization;
  const logs = logCapture();

  beforeAll(async () => {
    running = await startApiPlaudit({ LOG_LEVEL: 'trace' }, { logDestination: logs.destination });
    plaudit = running.plaudit;
    org = await createApiOrganization(plaudit.db);
  });
  afterAll(async () => {
    await running?.close();
  });

  it('refuses a missing, malformed, unknown or revoked token with 401, and says no more', async () => {
    const revoked = await createApiToken(plaudit.db, org.adminActor, {
      name: 'old',
      role: 'admin',
    });
    if (!revoked.ok) throw new Error(revoked.message);
    expect((await api(plaudit, '/members', { secret: revoked.value.secret })).status).toBe(200);
    expect((await revokeApiToken(plaudit.db, org.adminActor, revoked.value.token.id)).ok).toBe(
      true,
    );
    const unknown = newTokenSecret();
    // Its last character changed: to 'A', or to 'B' where it was an 'A' (1 in 64), which
    // would have left the secret as it was.
    const secret = org.tokens.admin.secret;
    const altered = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    const cases: Array<[string, Record<string, string>]> = [
      ['missing', {}],
      ['empty', { authorization: '' }],
      [
        'basic',
        {
          authorization: `Basic ${Buffer.from(`x:${org.tokens.admin.secret}`).toString('base64')}`,
        },
      ],
      ['no scheme', { authorization: org.tokens.admin.secret }],
      [
        'two values',
        { authorization: `Bearer ${org.tokens.admin.secret} ${org.tokens.admin.secret}` },
      ],
      ['too short', { authorization: 'Bearer plaudit_short' }],
      ['spaces only', { authorization: 'Bearer    ' }],
      ['unknown', { authorization: `Bearer ${unknown}` }],
      ['altered', { authorization: `Bearer ${altered}` }],
      ['revoked', { authorization: `Bearer ${revoked.value.secret}` }],
    ];
    for (const [label, headers] of cases) {
      const response = await api(plaudit, '/members', { headers });
      expect(response.status, label).toBe(401);
      expect(response.headers.get('www-authenticate'), label).toBe('Bearer realm="Plaudit API"');
      const body = (await response.json()) as { error: string; message: string };
      expect(body.error, label).toBe('unauthorized');
      expect(JSON.stringify(body), label).not.toContain(unknown);
      expect(JSON.stringify(body), label).not.toContain(revoked.value.secret);
    }
    // The good token still works: the refusals above were about the tokens.
    expect((await api(plaudit, '/members', { secret: org.tokens.admin.secret })).status).toBe(200);
  });

  it('refuses an HR token on admin routes with 403, audits the attempt, and changes nothing', async () => {
    const hr = org.tokens.hr.secret;
    const rulesBefore = await (await api(plaudit, '/rules', { secret: hr })).json();

    const read = await api(plaudit, '/audit', { secret: hr });
    expect(read.status).toBe(403);
    expect(await read.json()).toEqual({
      error: 'not_admin',
      message: 'Only admins can read the audit log; ask an admin if this needs doing.',
    });
    const write = await api(plaudit, '/rules/give', {
      secret: hr,
      method: 'PUT',
      body: JSON.stringify({ kind: 'only', roles: ['hr'] }),
    });
    expect(write.status).toBe(403);
    const adjust = await api(plaudit, '/adjustments', {
      secret: hr,
      method: 'POST',
      headers: { 'idempotency-key': randomUUID() },
      body: JSON.stringify({ memberId: org.members.member.id, amount: -3, reason: 'no' }),
    });
    expect(adjust.status).toBe(403);
    // And the other way round: an admin token may not decide redemptions.
    const decide = await api(plaudit, `/redemptions/${org.heldRedemptionId}/decisions`, {
      secret: org.tokens.admin.secret,
      method: 'POST',
      body: JSON.stringify({ decision: 'fulfil' }),
    });
    expect(decide.status).toBe(403);
    expect(((await decide.json()) as { error: string }).error).toBe('not_hr');

    const refused = (await auditRows(plaudit.db, org.organizationId)).filter(
      (row) => row.outcome === 'refused',
    );
    expect(
      refused.slice(-4).map((row) => ({
        action: row.action,
        target: row.target,
        code: row.refusal_code,
        token: row.actor_token_id,
        via: row.via,
      })),
    ).toEqual([
      { action: 'api.read', target: null, code: 'not_admin', token: org.tokens.hr.id, via: 'api' },
      {
        action: 'rule.set',
        target: 'rule:give',
        code: 'not_admin',
        token: org.tokens.hr.id,
        via: 'api',
      },
      {
        action: 'adjustment.deduct',
        target: `member:${org.members.member.id}`,
        code: 'not_admin',
        token: org.tokens.hr.id,
        via: 'api',
      },
      {
        action: 'redemption.fulfil',
        target: `redemption:${org.heldRedemptionId}`,
        code: 'not_hr',
        token: org.tokens.admin.id,
        via: 'api',
      },
    ]);
    expect(await (await api(plaudit, '/rules', { secret: hr })).json()).toEqual(rulesBefore);
    const adjustments = await plaudit.db
      .selectFrom('ledger_transfers')
      .select('id')
      .where('organization_id', '=', org.organizationId)
      .where('kind', '=', 'adjustment')
      .execute();
    expect(adjustments).toEqual([]);
    const held = await plaudit.db
      .selectFrom('redemptions')
      .select('status')
      .where('id', '=', org.heldRedemptionId)
      .executeTakeFirstOrThrow();
    expect(held.status).toBe('held');
  });

  it('shows a new secret in the create response only: not in lists, the audit log, the database or the logs', async () => {
    const created = await api(plaudit, '/tokens', {
      secret: org.tokens.admin.secret,
      method: 'POST',
      body: JSON.stringify({ name: 'payroll sync', role: 'hr' }),
    });
    expect(created.status).toBe(201);
    const { token, secret } = (await created.json()) as {
      token: { id: number; hint: string; name: string; role: string };
      secret: string;
    };
    expect(secret).toMatch(/^plaudit_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({ name: 'payroll sync', role: 'hr', hint: secret.slice(-4) });
    // It works, as an HR token.
    expect((await api(plaudit, '/redemptions', { secret })).status).toBe(200);

    const reads = [
      await api(plaudit, '/tokens', { secret: org.tokens.admin.secret }),
      await api(plaudit, `/tokens/${token.id}`, { secret: org.tokens.admin.secret }),
      await api(plaudit, '/audit?limit=1000', { secret: org.tokens.admin.secret }),
      await api(plaudit, '/audit?limit=1000&format=csv', { secret: org.tokens.admin.secret }),
    ];
    for (const read of reads) {
      expect(read.status).toBe(200);
      const text = await read.text();
      expect(text).toContain(token.hint);
      expect(text).not.toContain(secret);
    }
    const row = await plaudit.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', token.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(secret);
    const audit = await auditRows(plaudit.db, org.organizationId);
    expect(
      audit.some(
        (entry) => entry.action === 'token.create' && entry.target === `token:${token.id}`,
      ),
    ).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect(JSON.stringify(audit)).not.toContain(org.tokens.admin.secret);

    const revoked = await api(plaudit, `/tokens/${token.id}`, {
      secret: org.tokens.admin.secret,
      method: 'DELETE',
    });
    expect(revoked.status).toBe(200);
    expect((await api(plaudit, '/redemptions', { secret })).status).toBe(401);

    // The logs saw every request above (at trace level) and none of the secrets.
    expect(logs.text().length).toBeGreaterThan(0);
    for (const each of [secret, org.tokens.admin.secret, org.tokens.hr.secret]) {
      expect(logs.text()).not.toContain(each);
    }
  });

  it('marks a token used, at most once a minute', async () => {
    const made = await createApiToken(plaudit.db, org.adminActor, { name: 'used', role: 'admin' });
    if (!made.ok) throw new Error(made.message);
    const lastUsed = async () =>
      (
        await plaudit.db
          .selectFrom('api_tokens')
          .select('last_used_at')
          .where('id', '=', made.value.token.id)
          .executeTakeFirstOrThrow()
      ).last_used_at;
    expect(await lastUsed()).toBeNull();
    await api(plaudit, '/members', { secret: made.value.secret });
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    await api(plaudit, '/members', { secret: made.value.secret });
    expect(await lastUsed()).toEqual(first);
  });
});

const seededTokens = (plaudit: RunningPlaudit, organizationId: number) =>
  plaudit.db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'hint', 'revoked_at'])
    .where('organization_id', '=', organizationId)
    .where('seeded', '=', true)
    .orderBy('id')
    .execute();

describe('the first token from PLAUDIT_ADMIN_TOKEN', () => {
  // A Slack deployment of its own workspace, on a database of its own: the token is an API
  // token only while the database holds one organization, and the shared one holds many.
  const fake = new FakeSlackApi({
    id: `T${randomUUID().slice(0, 8).toUpperCase()}`,
    name: 'Tokens',
    botUserId: 'UBOT',
  });
  let fresh: FreshDatabase;
  beforeAll(async () => {
    await fake.start();
    fresh = await createFreshDatabase('admin_token', { migrated: true });
  });
  afterAll(async () => {
    await fake.stop();
    await fresh?.drop();
  });

  const start = async (adminToken: string) => {
    const logs = logCapture();
    const running = await startApiPlaudit(
      { LOG_LEVEL: 'debug', PLAUDIT_ADMIN_TOKEN: adminToken, DATABASE_URL: fresh.url },
      { logDestination: logs.destination, print: () => expect.fail('only local mode prints') },
      fake,
    );
    return { plaudit: running.plaudit, logs };
  };
  const first = randomBytes(24).toString('hex');
  const second = randomBytes(24).toString('hex');
  let organizationId: number;

  it('seeds it as an admin token of the only organization, once; a changed one replaces it', {
    timeout: 60_000,
  }, async () => {
    let run = await start(first);
    organizationId = run.plaudit.slack?.workspace?.organizationId as number;
    expect((await api(run.plaudit, '/tokens', { secret: first })).status).toBe(200);
    const [only, ...others] = await seededTokens(run.plaudit, organizationId);
    expect(others).toEqual([]);
    expect(only).toMatchObject({
      name: 'PLAUDIT_ADMIN_TOKEN',
      hint: first.slice(-4),
      revoked_at: null,
    });
    await run.plaudit.close();

    run = await start(first);
    expect(await seededTokens(run.plaudit, organizationId)).toEqual([only]);
    expect((await api(run.plaudit, '/tokens', { secret: first })).status).toBe(200);
    await run.plaudit.close();

    run = await start(second);
    try {
      expect((await api(run.plaudit, '/tokens', { secret: first })).status).toBe(401);
      expect((await api(run.plaudit, '/tokens', { secret: second })).status).toBe(200);
      const all = await seededTokens(run.plaudit, organizationId);
      expect(all.map((token) => [token.hint, token.revoked_at === null])).toEqual([
        [first.slice(-4), false],
        [second.slice(-4), true],
      ]);
      expect(run.logs.text()).toContain('Plaudit is listening');
      expect(run.logs.text()).not.toContain(second);
    } finally {
      await run.plaudit.close();
    }
  });

  it('is no API token once the database holds a second organization, and stays the operators’ token', {
    timeout: 60_000,
  }, async () => {
    const run = await start(second);
    let other: ApiOrganization | undefined;
    try {
      // A second organization appears (a workspace installed, a tenant connected).
      other = await createApiOrganization(run.plaudit.db);
    } finally {
      await run.plaudit.close();
    }
    const next = await start(second);
    try {
      expect((await api(next.plaudit, '/tokens', { secret: second })).status).toBe(401);
      const seeded = await seededTokens(next.plaudit, organizationId);
      expect(seeded.map((token) => [token.hint, token.revoked_at === null])).toEqual([
        [first.slice(-4), false],
        [second.slice(-4), false],
      ]);
      // Neither organization got it instead.
      expect(await seededTokens(next.plaudit, other.organizationId)).toEqual([]);
      const revoked = (await auditRows(next.plaudit.db, organizationId)).filter(
        (row) => row.action === 'token.revoke',
      );
      expect(revoked.at(-1)).toMatchObject({
        target: `token:${seeded[1]?.id}`,
        after: expect.objectContaining({ revoked: true, retiredBySeveralOrganizations: true }),
      });
      expect(next.logs.text()).toContain(
        'PLAUDIT_ADMIN_TOKEN is no API token now that the database holds several organizations',
      );
      expect(next.logs.text()).not.toContain(second);
      // Each organization's admins make their own; the organization's tokens still work.
      expect(
        (await api(next.plaudit, '/tokens', { secret: other.tokens.admin.secret })).status,
      ).toBe(200);
      // The operators' addresses still take it.
      const operator = { headers: { authorization: `Bearer ${second}` } };
      const statements = await fetch(`${next.plaudit.url}/admin/statements`, operator);
      expect(statements.status).toBe(200);
      expect((await fetch(`${next.plaudit.url}/metrics`, operator)).status).toBe(200);
      expect((await fetch(`${next.plaudit.url}/metrics`)).status).toBe(401);
    } finally {
      await next.plaudit.close();
    }
  });
});

describe('the first token in local mode, printed at start', () => {
  // A database of its own: every local-mode start replaces the demo organization's token,
  // and other tests start local mode on the shared database.
  let fresh: FreshDatabase;
  beforeAll(async () => {
    fresh = await createFreshDatabase('tokens_local', { migrated: true });
  });
  afterAll(async () => {
    await fresh?.drop();
  });

  const start = async () => {
    const printed: string[] = [];
    const logs = logCapture();
    const plaudit = await startPlaudit(
      parseConfig({ PORT: '0', LOG_LEVEL: 'debug', DATABASE_URL: fresh.url }),
      { logDestination: logs.destination, print: (line) => void printed.push(line) },
    );
    return { plaudit, printed, logs };
  };

  it('prints a new admin token at each start, never logs it, and retires the one before', {
    timeout: 120_000,
  }, async () => {
    const line =
      /^API token for local mode \(admin, replaced at each start\): (plaudit_[A-Za-z0-9_-]{43})\n$/;
    let run = await start();
    expect(run.printed).toHaveLength(1);
    const first = line.exec(run.printed[0] ?? '')?.[1] as string;
    expect(first, run.printed[0]).toBeDefined();
    expect((await api(run.plaudit, '/tokens', { secret: first })).status).toBe(200);
    expect(run.logs.text()).toContain('Plaudit is listening');
    expect(run.logs.text()).not.toContain(first);
    await run.plaudit.close();

    run = await start();
    try {
      const second = line.exec(run.printed[0] ?? '')?.[1] as string;
      expect(second).toBeDefined();
      expect(second).not.toBe(first);
      expect((await api(run.plaudit, '/tokens', { secret: first })).status).toBe(401);
      expect((await api(run.plaudit, '/tokens', { secret: second })).status).toBe(200);
      expect(run.logs.text()).not.toContain(second);
    } finally {
      await run.plaudit.close();
    }
  });
});

/**
 * A web process of a deployment with Redis, whose Redis is away (nothing listens there):
 * its job queues close at once, with no job that could be marked done to wait for.
 */
const REDIS_AWAY = { REDIS_URL: 'redis://127.0.0.1:1', PLAUDIT_ROLE: 'web' };

describe('the rate limit per token', () => {
  const prefix = `test-api-rate-${randomUUID()}`;
  afterAll(async () => {
    const redis = new Redis(inject('redisUrl'));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const start = (extra: Record<string, string>, fake?: FakeSlackApi) =>
    startApiPlaudit({ API_RATE_LIMIT: '3', ...extra }, {}, fake);

  it('is counted in Redis across web processes: the fourth request in a minute gets 429', async () => {
    const redisConfig = {
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix,
      // Web processes: no worker here takes (or runs) other tests' jobs.
      PLAUDIT_ROLE: 'web',
    };
    // Two web processes of one deployment.
    const fake = await new FakeSlackApi({
      id: `T${randomUUID().slice(0, 8).toUpperCase()}`,
      name: 'Rate',
      botUserId: 'UBOT',
    }).start();
    const one = (await start(redisConfig, fake)).plaudit;
    const two = (await start(redisConfig, fake)).plaudit;
    try {
      const org = await createApiOrganization(one.db);
      const secret = org.tokens.admin.secret;
      expect((await api(one, '/members', { secret })).status).toBe(200);
      expect((await api(two, '/members', { secret })).status).toBe(200);
      const third = await api(one, '/members', { secret });
      expect(third.status).toBe(200);
      expect(third.headers.get('ratelimit-remaining')).toBe('0');
      const fourth = await api(two, '/members', { secret });
      expect(fourth.status).toBe(429);
      const retryAfter = Number(fourth.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(((await fourth.json()) as { error: string }).error).toBe('rate_limited');
      // Another token has its own count.
      expect((await api(one, '/members', { secret: org.tokens.hr.secret })).status).toBe(200);
    } finally {
      await one.close();
      await two.close();
      await fake.stop();
    }
  });

  it('is counted in this process’s memory while Redis is unreachable, never switched off', async () => {
    const running = await start(REDIS_AWAY);
    try {
      const org = await createApiOrganization(running.plaudit.db);
      const statuses = [];
      for (let request = 0; request < 4; request++) {
        const response = await api(running.plaudit, '/groups', { secret: org.tokens.hr.secret });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await running.close();
    }
  });

  it('is counted in memory without Redis', async () => {
    const running = await start({});
    const { plaudit } = running;
    try {
      const org = await createApiOrganization(plaudit.db);
      const statuses = [];
      for (let request = 0; request < 4; request++) {
        statuses.push((await api(plaudit, '/groups', { secret: org.tokens.hr.secret })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await running.close();
    }
  });
});

describe('the limit on failed authentications per client address', () => {
  const prefix = `test-api-auth-${randomUUID()}`;
  afterAll(async () => {
    const redis = new Redis(inject('redisUrl'));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('is counted in Redis across web processes', async () => {
    const config = {
      API_AUTH_FAILURE_LIMIT: '2',
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: prefix,
      PLAUDIT_ROLE: 'web',
    };
    const fake = await new FakeSlackApi({
      id: `T${randomUUID().slice(0, 8).toUpperCase()}`,
      name: 'Guesses',
      botUserId: 'UBOT',
    }).start();
    const one = (await startApiPlaudit(config, {}, fake)).plaudit;
    const two = (await startApiPlaudit(config, {}, fake)).plaudit;
    try {
      const org = await createApiOrganization(one.db);
      expect((await api(one, '/members', { secret: newTokenSecret() })).status).toBe(401);
      expect((await api(two, '/members', { secret: newTokenSecret() })).status).toBe(401);
      expect((await api(one, '/members', { secret: newTokenSecret() })).status).toBe(429);
      expect((await api(two, '/members', { secret: org.tokens.admin.secret })).status).toBe(429);
    } finally {
      await one.close();
      await two.close();
      await fake.stop();
    }
  });

  it('is counted in this process’s memory while Redis is unreachable: the guess past the limit gets 429', async () => {
    const running = await startApiPlaudit({
      API_AUTH_FAILURE_LIMIT: '40',
      ...REDIS_AWAY,
    });
    try {
      const org = await createApiOrganization(running.plaudit.db);
      const guesses = [];
      for (let guess = 0; guess < 41; guess++) {
        guesses.push((await api(running.plaudit, '/members', { secret: newTokenSecret() })).status);
      }
      expect(guesses).toEqual([...Array.from({ length: 40 }, () => 401), 429]);
      const valid = await api(running.plaudit, '/members', { secret: org.tokens.admin.secret });
      expect(valid.status).toBe(429);
      expect(Number(valid.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await running.close();
    }
  });

  it('goes on counting when Redis stops answering mid-way: no request waits for it', async () => {
    const own = `${prefix}-frozen`;
    const proxy = await new TcpProxy('127.0.0.1', Number(new URL(inject('redisUrl')).port)).start();
    const running = await startApiPlaudit({
      API_AUTH_FAILURE_LIMIT: '2',
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      REDIS_PREFIX: own,
      PLAUDIT_ROLE: 'web',
    });
    const redis = new Redis(inject('redisUrl'));
    const guess = async () =>
      (await api(running.plaudit, '/members', { secret: newTokenSecret() })).status;
    try {
      // The limits' connection is up once a token's requests are counted in Redis.
      const { secret } = (await createApiOrganization(running.plaudit.db)).tokens.admin;
      await until(async () => {
        expect((await api(running.plaudit, '/members', { secret })).status).toBe(200);
        return (await redis.keys(`${own}:api-rate:*`)).length > 0;
      });
      expect(await guess()).toBe(401);
      expect(await redis.keys(`${own}:auth-failure:*`)).toHaveLength(1);
      // Redis hangs: connections stay open, and nothing comes back.
      proxy.freeze();
      // Counted afresh in memory from the freeze: two more failures, then 429.
      expect([await guess(), await guess(), await guess()]).toEqual([401, 401, 429]);
    } finally {
      await proxy.cut();
      await running.close();
      const keys = await redis.keys(`${own}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it('answers 429 past it without looking the token up, a valid one too; requests without a token are not counted', async () => {
    const running = await startApiPlaudit({ API_AUTH_FAILURE_LIMIT: '3' });
    const { plaudit } = running;
    try {
      const org = await createApiOrganization(plaudit.db);
      const secret = org.tokens.admin.secret;
      for (let request = 0; request < 4; request++) {
        expect((await api(plaudit, '/members')).status).toBe(401);
      }
      expect((await api(plaudit, '/members', { secret })).status).toBe(200);
      const guesses = [];
      for (let guess = 0; guess < 4; guess++) {
        guesses.push(await api(plaudit, '/members', { secret: newTokenSecret() }));
      }
      expect(guesses.map((response) => response.status)).toEqual([401, 401, 401, 429]);
      const throttled = guesses[3] as Response;
      const retryAfter = Number(throttled.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(((await throttled.json()) as { error: string }).error).toBe('rate_limited');
      // A hit must look like a miss, or guessing would go on at full speed.
      const valid = await api(plaudit, '/members', { secret });
      expect(valid.status).toBe(429);
      expect(valid.headers.get('retry-after')).not.toBeNull();
      expect(
        (await api(plaudit, '/members', { headers: { authorization: 'Bearer x' } })).status,
      ).toBe(429);
      // Without a token there is nothing to guess: the usual 401.
      expect((await api(plaudit, '/members')).status).toBe(401);
    } finally {
      await running.close();
    }
  });
});

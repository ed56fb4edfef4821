import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiOrganization, createApiOrganization } from './api-organization.ts';
import { type ApiPlaudit, startApiPlaudit } from './api-plaudit.ts';

const refusal = (host: string, kind: string) =>
  `The webhook cannot go to ${host}, ${kind}; use an address on the internet, or ask your operator to allow the host in REWARD_WEBHOOK_ALLOWED_HOSTS.`;

/** Saving a webhook reward over the HTTP API: addresses inside the network are refused. */
describe('webhook addresses of rewards, over the API', () => {
  let strict: ApiPlaudit;
  let allowing: ApiPlaudit;
  let org: ApiOrganization;

  beforeAll(async () => {
    strict = await startApiPlaudit();
    // A deployment whose company fulfils rewards from a host in 10.20.0.0/16.
    allowing = await startApiPlaudit({ REWARD_WEBHOOK_ALLOWED_HOSTS: '10.20.0.0/16' });
    org = await createApiOrganization(strict.plaudit.db);
  });
  afterAll(async () => {
    await strict?.close();
    await allowing?.close();
  });

  const send = async (
    running: ApiPlaudit,
    method: 'POST' | 'PATCH',
    path: string,
    body: Record<string, unknown>,
  ) => {
    const response = await fetch(`${running.plaudit.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${org.tokens.hr.secret}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const reward = (webhookUrl: string) => ({
    name: `Gift ${randomUUID().slice(0, 8)}`,
    pointsCost: 10,
    priceMinor: 500,
    fulfilment: 'webhook',
    webhookUrl,
  });
  const catalog = () =>
    strict.plaudit.db
      .selectFrom('reward_items')
      .select(['id', 'webhook_url'])
      .where('organization_id', '=', org.organizationId)
      .orderBy('id')
      .execute();

  it('refuses a reward whose webhook leads inside the network, adding or changing it', async () => {
    const created = await send(strict, 'POST', '/rewards', reward('https://hooks.example/gift'));
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    const before = await catalog();
    const cases: Array<[string, string]> = [
      [
        'http://169.254.169.254/latest/meta-data/',
        refusal('169.254.169.254', 'a cloud metadata address'),
      ],
      ['http://2852039166/', refusal('169.254.169.254', 'a cloud metadata address')],
      ['http://[fd00:ec2::254]/', refusal('[fd00:ec2::254]', 'a cloud metadata address')],
      ['http://[::ffff:a9fe:a9fe]/', refusal('[::ffff:a9fe:a9fe]', 'a cloud metadata address')],
      ['http://127.0.0.1:6379/', refusal('127.0.0.1', 'a loopback address')],
      ['http://192.168.0.10/', refusal('192.168.0.10', 'a private address')],
      ['http://[fe80::1]/', refusal('[fe80::1]', 'a link-local address')],
    ];
    for (const [webhookUrl, message] of cases) {
      const added = await send(strict, 'POST', '/rewards', reward(webhookUrl));
      expect(added, webhookUrl).toEqual({ status: 422, body: { error: 'invalid_item', message } });
      const changed = await send(strict, 'PATCH', `/rewards/${id}`, { webhookUrl });
      expect(changed, webhookUrl).toEqual({
        status: 422,
        body: { error: 'invalid_item', message },
      });
    }
    expect(await catalog()).toEqual(before);
  });

  it('takes an internal host the deployment allows, and only that', async () => {
    const allowed = await send(
      allowing,
      'POST',
      '/rewards',
      reward('http://10.20.1.5:8080/fulfil'),
    );
    expect(allowed.status).toBe(201);
    expect(allowed.body.webhookUrl).toBe('http://10.20.1.5:8080/fulfil');
    const other = await send(allowing, 'POST', '/rewards', reward('http://10.21.0.1/'));
    expect(other).toEqual({
      status: 422,
      body: { error: 'invalid_item', message: refusal('10.21.0.1', 'a private address') },
    });
    // The same address where the deployment allows nothing inside.
    const elsewhere = await send(
      strict,
      'POST',
      '/rewards',
      reward('http://10.20.1.5:8080/fulfil'),
    );
    expect(elsewhere.status).toBe(422);
  });
});

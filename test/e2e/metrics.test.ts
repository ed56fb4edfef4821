import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningPlaudit, startPlaudit } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { parseExposition, type Sample, total } from '../support/exposition.ts';
import { FakeSlackApi } from '../support/fake-slack-api.ts';
import { SIGNING_SECRET, slackEnv, startSlackPlaudit } from '../support/slack-plaudit.ts';
import { postSlashCommand } from '../support/slack-requests.ts';

const ADMIN_TOKEN = 'metrics-test-admin-token-0123456789';

describe('/metrics for Prometheus', () => {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  const fake = new FakeSlackApi({ id: teamId, name: 'Acme', botUserId: 'UBOT' });
  let plaudit: RunningPlaudit;
  let triggers = 0;

  const slash = (user: string, text: string) =>
    postSlashCommand(plaudit.url, SIGNING_SECRET, {
      team_id: teamId,
      user_id: user,
      channel_id: 'C1',
      text,
      trigger_id: `trigger-${++triggers}`,
      response_url: `${fake.url}/respond/${triggers}`,
    });

  async function scrape(): Promise<{ response: Response; samples: Sample[]; text: string }> {
    const response = await fetch(`${plaudit.url}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const text = await response.text();
    return { response, text, samples: parseExposition(text) };
  }

  beforeAll(async () => {
    await fake.start();
    for (const [id, name] of [
      ['UANA', 'Ana'],
      ['ULI', 'Li'],
    ] as const) {
      fake.users.set(id, {
        id,
        name,
        profile: { display_name: name, email: `${id.toLowerCase()}@acme.example` },
      });
    }
    plaudit = await startPlaudit(
      parseConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: inject('databaseUrl'),
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: `metrics-${randomUUID().slice(0, 8)}`,
        PLAUDIT_ADMIN_TOKEN: ADMIN_TOKEN,
        ...slackEnv(fake),
      }),
      { print: () => {} },
    );
  });
  afterAll(async () => {
    await plaudit?.close();
    await fake.stop();
  });

  it('asks for the admin token when one is set', async () => {
    const anonymous = await fetch(`${plaudit.url}/metrics`);
    expect(anonymous.status).toBe(401);
    const wrong = await fetch(`${plaudit.url}/metrics`, {
      headers: { authorization: 'Bearer not-the-admin-token-at-all-000000' },
    });
    expect(wrong.status).toBe(401);
  });

  it('counts a give, a refusal and the requests, by route pattern', async () => {
    const before = await scrape();
    expect(before.response.status).toBe(200);
    expect(before.response.headers.get('content-type')).toBe(
      'text/plain; version=0.0.4; charset=utf-8',
    );

    const given = await slash('UANA', '<@ULI|li> 5 for the metrics #teamwork');
    expect(JSON.parse(given.body)).toMatchObject({ text: expect.stringContaining('You gave 5') });
    const refused = await slash('UANA', '<@UANA|ana> 5 for me');
    expect(JSON.parse(refused.body)).toMatchObject({
      text: expect.stringContaining('You cannot give kudos to yourself'),
    });
    const missing = await fetch(`${plaudit.url}/no/such/page/8675309`);
    expect(missing.status).toBe(404);
    const group = await fetch(`${plaudit.url}/api/v1/groups/8675309`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    await group.text();
    await plaudit.settled();

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) =>
      total(after.samples, name, labels) - total(before.samples, name, labels);

    expect(moved('plaudit_gives_total', { platform: 'slack', outcome: 'ok' })).toBe(1);
    expect(moved('plaudit_gives_total', { platform: 'slack', outcome: 'refused' })).toBe(1);
    expect(moved('plaudit_gives_total')).toBe(2);
    expect(
      moved('plaudit_refusals_total', { platform: 'slack', command: 'give', code: 'self_kudos' }),
    ).toBe(1);
    expect(moved('plaudit_refusals_total')).toBe(1);
    expect(moved('plaudit_commands_total', { command: 'give' })).toBe(2);

    const requests = (labels: Record<string, string>) =>
      moved('plaudit_http_requests_total', labels);
    expect(requests({ method: 'POST', route: '/slack/events', status_code: '200' })).toBe(2);
    expect(requests({ method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
    expect(requests({ method: 'GET', route: '/api/v1/groups/:id' })).toBe(1);
    // The first scrape was answered before the second was taken.
    expect(requests({ method: 'GET', route: '/metrics', status_code: '200' })).toBe(1);
    expect(
      moved('plaudit_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/slack/events',
      }),
    ).toBe(2);
    // Route labels are patterns: no raw path with an id becomes a label value.
    expect(after.text).not.toContain('8675309');
    const routes = new Set(
      after.samples
        .filter((sample) => sample.name === 'plaudit_http_requests_total')
        .map((sample) => sample.labels.route),
    );
    for (const route of routes) expect(route).toMatch(/^(unmatched|\/[\w/:.-]*)$/);
  });

  it('reports the queue depths from Redis and the process metrics', async () => {
    const { samples } = await scrape();
    const depths = samples.filter((sample) => sample.name === 'plaudit_queue_jobs');
    expect(new Set(depths.map((sample) => sample.labels.queue))).toEqual(
      new Set(['allowance', 'ledger', 'notifications', 'redemptions']),
    );
    expect(depths).toHaveLength(4 * 4);
    for (const sample of depths) {
      expect(['waiting', 'active', 'delayed', 'failed']).toContain(sample.labels.state);
      expect(sample.value).toBeGreaterThanOrEqual(0);
    }
    expect(total(samples, 'plaudit_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samples.some((sample) => sample.name === 'plaudit_nodejs_eventloop_lag_seconds')).toBe(
      true,
    );
  });
});

describe('/metrics without an admin token', () => {
  it('is open, in a second app of the same process with its own registry, inline jobs reporting no queues', async () => {
    const fake = new FakeSlackApi({
      id: `T${randomUUID().slice(0, 8).toUpperCase()}`,
      name: 'Other',
      botUserId: 'UBOT',
    });
    await fake.start();
    const first = await startSlackPlaudit(fake);
    const second = await startSlackPlaudit(fake);
    try {
      await fetch(`${first.url}/healthz`);
      const response = await fetch(`${second.url}/metrics`);
      expect(response.status).toBe(200);
      const samples = parseExposition(await response.text());
      // The first app's request is not counted by the second.
      expect(total(samples, 'plaudit_http_requests_total', { route: '/healthz' })).toBe(0);
      expect(samples.filter((sample) => sample.name === 'plaudit_queue_jobs')).toEqual([]);
    } finally {
      await second.close();
      await first.close();
      await fake.stop();
    }
  });
});
